#include "report.h"

#include <fmt/color.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "table.h"

namespace kata {
namespace {

constexpr int kExplainedFailures = 2;
constexpr int kCompactFailures = 3;
constexpr size_t kFindingsShown = 3;

std::string paint(const std::string& text, fmt::text_style ts, const Style& style) {
  return style.color ? fmt::format(ts, "{}", text) : text;
}

// The first `max_lines` lines of text, each after `prefix`, and wrapped to the screen unless they are
// source code with a caret under it (a compiler's diagnostics).
std::string indent(const std::string& text, const std::string& prefix, size_t max_lines, bool wrap = true) {
  std::istringstream in(text);
  std::string out, line;
  size_t n = 0;
  while (std::getline(in, line)) {
    if (n++ == max_lines) return out + prefix + "...\n";
    if (!wrap || display_width(prefix + line) <= kScreenWidth) {
      out += prefix + line + "\n";
    } else {  // wrapped under its own first word, keeping its indentation
      size_t text = line.find_first_not_of(' ');
      out += hanging(prefix + line.substr(0, text), line.substr(text));
    }
  }
  return out;
}

// The known mistakes named at other failed checks than `lead`, each once, with the first check naming it: a
// second bug in the same program.
std::string other_mistakes(const Judgement& j, const Check& lead, const Style& style) {
  std::set<std::string> seen = {lead.mistake->id};
  for (const auto& m : lead.also) seen.insert(m.id);
  std::string out;
  for (const auto& c : j.checks) {
    if (c.passed || !c.mistake || !seen.insert(c.mistake->id).second) continue;
    out += hanging("    - ", fmt::format("{} ({})", c.mistake->name, c.name));
  }
  if (out.empty()) return "";
  return paint(hanging("  ", "Other failed checks match more known mistakes:"), fmt::emphasis::bold, style) + out;
}

// What the learner reads first: the known mistake their values match, or the most specific finding.
std::string diagnosis(const Judgement& j, const Style& style) {
  const Check* c = leading_failure(j);
  if (!c) return "";
  auto bold = fmt::emphasis::bold;
  if (c->mistake && c->also.empty())
    return paint(hanging("  ", "Your output matches a known mistake: " + c->mistake->name), bold, style) +
           hanging("    ", c->mistake->why) + other_mistakes(j, *c, style);
  if (c->mistake) {  // mistakes that give the same values on these inputs: none is more likely
    std::string out = paint(
        hanging("  ", fmt::format("Your output matches {} known mistakes, the same on these inputs:",
                                  c->also.size() + 1)),
        bold, style);
    out += hanging("    - ", c->mistake->name);
    for (const auto& m : c->also) out += hanging("    - ", m.name);
    return out + other_mistakes(j, *c, style);
  }
  return paint(hanging("  ", c->findings.front()), bold, style);
}

// Under a failed check: its mistake, then its findings (a few, or all when verbose).
std::string findings_of(const Check& c, const Style& style) {
  std::string out;
  if (c.mistake) out += hanging("      → ", "matches the known mistake: " + c.mistake->name);
  // A named mistake says what to fix; the first finding shows where, the rest would only repeat it.
  size_t most = style.verbose ? c.findings.size() : c.mistake ? 1 : kFindingsShown;
  size_t shown = std::min(c.findings.size(), most);
  for (size_t i = 0; i < shown; ++i) out += hanging("      · ", c.findings[i]);
  return paint(out, fmt::emphasis::italic, style);
}

// A file that did not compile, or calls what it should build, never reaches a test host.
bool ran_no_checks(const Judgement& j) {
  return j.verdict == Verdict::compile_error || j.verdict == Verdict::forbidden_call;
}

}  // namespace

const Check* leading_failure(const Judgement& j) {
  for (const auto& c : j.checks)
    if (!c.passed && c.mistake) return &c;
  for (const auto& c : j.checks)
    if (!c.passed && !c.findings.empty() && c.failure.empty()) return &c;
  return nullptr;
}

std::string verdict_label(Verdict v, const Style& style) {
  std::string label = to_string(v);
  for (auto& c : label) c = c == '_' ? ' ' : static_cast<char>(std::toupper(c));
  auto color = v == Verdict::accepted ? fmt::fg(fmt::terminal_color::green) : fmt::fg(fmt::terminal_color::red);
  return paint(label, color | fmt::emphasis::bold, style);
}

std::string render(const Judgement& j, const Style& style) {
  std::string out;
  if (!style.compact)
    out += fmt::format("{} · {}\nseed {} · compiled in {:.1f} s · ran in {:.1f} s\n", j.exercise, j.source.string(),
                       j.seed, j.compile_seconds, j.run_seconds);
  if (j.verdict == Verdict::forbidden_call) {
    std::istringstream lines(j.message);
    for (std::string line; std::getline(lines, line);) out += hanging("  ", line);
  } else if (j.verdict == Verdict::compile_error) {
    out += indent(j.message, "  ", style.compact ? 12 : 40, /*wrap=*/false);
  } else {
    out += diagnosis(j, style);
    // Full: every check, the first failures explained, the rest one line each, so a stub's verdict still
    // fits on a screen. Compact (watch, mock): the failures only, one line each under the diagnosis.
    int explained = 0, listed = 0, failed = 0;
    int explain = style.verbose ? static_cast<int>(j.checks.size()) : style.compact ? 0 : kExplainedFailures;
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
      if (full) out += findings_of(c, style);
      out += indent(c.detail, "      ", full ? 12 : 1);
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
    nlohmann::json mistake;
    if (c.mistake) mistake = {{"id", c.mistake->id}, {"text", c.mistake->name + ": " + c.mistake->why}};
    nlohmann::json also = nlohmann::json::array();
    for (const auto& m : c.also) also.push_back({{"id", m.id}, {"text", m.name + ": " + m.why}});
    checks.push_back({{"name", c.name},
                      {"passed", c.passed},
                      {"detail", c.detail},
                      {"mistake", mistake},
                      {"also_matches", also},
                      {"findings", c.findings},
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
          {"host", ran_no_checks(j) ? "none" : j.served ? "service" : "fresh"},
          {"compiler", j.compile_served ? "service" : "clang"},
          {"peak_memory_mb", j.peak_memory_bytes >> 20},
          {"memory_limit_mb", j.memory_limit_bytes >> 20}};
}

}  // namespace kata
