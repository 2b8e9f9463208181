#include "workspace.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "recipe.h"

namespace kata {

void Workspace::require_writable() const {
  auto refuse = [&](const fs::path& path, const std::string& why) {
    throw NotWritable(
        fmt::format("{} is not writable ({}).\nIt holds your attempts and progress: make it "
                    "writable, or use\nanother workspace with --workspace DIR (or KATA_WORKSPACE).",
                    path.string(), why));
  };
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) refuse(root, ec.message());
  for (const auto& path : {root, database()})
    if (fs::exists(path) && access(path.c_str(), W_OK) != 0) refuse(path, std::strerror(errno));
}

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  if (!(text << in.rdbuf())) throw std::runtime_error("cannot read " + path.string());
  return text.str();
}

}  // namespace

bool Workspace::create(const fs::path& to, const std::string& text) const {
  if (fs::exists(to)) return false;
  require_writable();
  fs::create_directories(to.parent_path());
  // Write then rename, so a crash never leaves a half-written attempt.
  auto partial = fs::path(to).concat(".partial");
  std::ofstream out(partial, std::ios::trunc);
  if (!(out << text).flush()) throw std::runtime_error("cannot write " + partial.string());
  fs::rename(partial, to);
  editor_support(to.parent_path());
  return true;
}

void Workspace::editor_support(const fs::path& dir) const {
  std::vector<fs::path> contracts;
  for (const auto& e : fs::directory_iterator(exercises_dir))
    if (e.is_directory()) contracts.push_back(e.path());
  auto flags = editor_flags(judge_dir, contracts);
  if (flags.empty()) return;
  std::string text;
  for (const auto& flag : flags) text += flag + "\n";
  auto path = dir / "compile_flags.txt";
  if (fs::exists(path) && read_text(path) == text) return;
  std::ofstream(path, std::ios::trunc) << text;
}

bool Workspace::copy_stub(const Exercise& e, const fs::path& to) const { return create(to, read_text(e.stub())); }

bool Workspace::create_round_file(const Exercise& e, int64_t round) const {
  std::string text = read_text(e.stub());
  const std::string practice = "./kata judge " + e.id, in_round = "./kata mock submit";
  for (size_t at = 0; (at = text.find(practice, at)) != std::string::npos; at += in_round.size())
    text.replace(at, practice.size(), in_round);
  return create(round_file(round, e.id), text);
}

fs::path Workspace::reset(const Exercise& e) const {
  require_writable();
  auto current = attempt(e.id);
  fs::path backup;
  if (fs::exists(current)) {
    fs::create_directories(root / "backups");
    auto now = std::chrono::system_clock::now();
    backup = root / "backups" /
             fmt::format("{}-{:%Y%m%d-%H%M%S}.cpp", e.id, fmt::localtime(std::chrono::system_clock::to_time_t(now)));
    for (int n = 2; fs::exists(backup); ++n)
      backup.replace_filename(fmt::format("{}-{}.cpp", backup.stem().string(), n));
    fs::rename(current, backup);
  }
  copy_stub(e, current);
  return backup;
}

}  // namespace kata
