#include "report.h"

#include <fmt/color.h>
#include <fmt/format.h>

#include <sstream>

namespace kata {
namespace {

constexpr int kExplainedFailures = 2;
constexpr int kCompactFailures = 3;

std::string paint(const std::string& text, fmt::text_style ts, const Style& style) {
  return style.color ? fmt::format(ts, "{}", text) : text;
}

std::string indent(const std::string& text, const std::string& prefix, size_t max_lines) {
  std::istringstream in(text);
  std::string out, line;
  size_t n = 0;
  while (std::getline(in, line)) {
    if (n++ == max_lines) return out + prefix + "...\n";
    out += prefix + line + "\n";
  }
  return out;
}

}  // namespace

std::string verdict_label(Verdict v, const Style& style) {
  std::string label = to_string(v);
  for (auto& c : label) c = c == '_' ? ' ' : static_cast<char>(std::toupper(c));
  auto color = v == Verdict::accepted ? fmt::fg(fmt::terminal_color::green) : fmt::fg(fmt::terminal_color::red);
  return paint(label, color | fmt::emphasis::bold, style);
}

std::string render(const Judgement& j, const Style& style) {
  std::string out;
  if (!style.compact)
    out += fmt::format("{} · {} · seed {} · compiled in {:.1f} s · ran in {:.1f} s\n", j.exercise, j.source.string(),
                       j.seed, j.compile_seconds, j.run_seconds);
  if (j.verdict == Verdict::compile_error) {
    out += indent(j.message, "  ", style.compact ? 12 : 40);
  } else {
    // Full: every check, the first failures explained, the rest one line each, so a stub's verdict still
    // fits on a screen. Compact (watch, mock): the failures only, the first one explained.
    int explained = 0, listed = 0, failed = 0;
    int explain = style.compact ? 1 : kExplainedFailures;
    for (const auto& c : j.checks) {
      if (c.passed) {
        if (!style.compact)
          out += fmt::format("  {} {}\n", paint("✓", fmt::fg(fmt::terminal_color::green), style), c.name);
        continue;
      }
      ++failed;
      if (style.compact && listed >= kCompactFailures) continue;
      ++listed;
      std::string label = c.failure.empty() ? c.name : fmt::format("{} ({})", c.name, c.failure);
      out += fmt::format("  {} {}\n", paint("✗", fmt::fg(fmt::terminal_color::red), style), label);
      bool full = explained++ < explain;
      if (!full && style.compact) continue;
      out += indent(c.detail, "      ", full ? 12 : 1);
      // The meaning is about values; a crash or a limit has its own explanation in the detail.
      if (full && !c.meaning.empty() && c.failure.empty())
        out += paint(fmt::format("      → {}\n", c.meaning), fmt::emphasis::italic, style);
      if (full && !c.output.empty()) out += "      your output:\n" + indent(c.output, "        ", 6);
    }
    if (failed > listed) out += fmt::format("  ... and {} more\n", failed - listed);
    if (!j.message.empty()) out += indent(j.message, "  ", style.compact ? 4 : 8);
  }
  if (!j.note.empty()) out += fmt::format("  note: {}\n", j.note);
  if (!style.compact)
    out +=
        fmt::format("{} ({}/{} checks passed)\n", verdict_label(j.verdict, style), j.checks_passed(), j.checks.size());
  return out;
}

nlohmann::json to_json(const Judgement& j) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : j.checks) {
    std::string detail = c.detail;
    if (!c.passed && !c.meaning.empty() && c.failure.empty()) detail += "\nmeaning: " + c.meaning;
    checks.push_back({{"name", c.name},
                      {"passed", c.passed},
                      {"detail", detail},
                      {"failure", c.failure.empty() ? nlohmann::json() : nlohmann::json(c.failure)},
                      {"output", c.output}});
  }
  return {{"exercise", j.exercise},
          {"verdict", to_string(j.verdict)},
          {"checks", checks},
          {"message", j.message},
          {"note", j.note},
          {"seed", j.seed},
          {"source", j.source.string()},
          {"compile_seconds", j.compile_seconds},
          {"run_seconds", j.run_seconds},
          {"peak_memory_mb", j.peak_memory_bytes >> 20},
          {"memory_limit_mb", j.memory_limit_bytes >> 20}};
}

}  // namespace kata
