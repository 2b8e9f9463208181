// A known mistake is a wrong case of an exercise whose file says what it is, in its first lines:
//   // expect: wrong_answer CausalAttention.OutputFloat64
//   // mistake: mask hides the diagonal
//   // why: triu(0) masks the diagonal too, so position i cannot attend to itself ...
// Read by the checker, which names it to the learner, and by `kata dev check`, which proves the judge
// recognises every one of them as itself.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace kata {

struct MistakeHeader {
  std::string id;    // the file's name without "wrong_": "mask_hides_diagonal"
  std::string name;  // "mask hides the diagonal"
  std::string why;   // what goes wrong, and the fix
};

inline std::optional<MistakeHeader> read_mistake_header(const std::filesystem::path& case_file) {
  std::ifstream in(case_file);
  std::string name, why, line;
  for (int i = 0; i < 5 && std::getline(in, line); ++i) {
    if (line.rfind("// mistake: ", 0) == 0) name = line.substr(12);
    if (line.rfind("// why: ", 0) == 0) why = line.substr(8);
  }
  if (name.empty() || why.empty()) return std::nullopt;
  std::string id = case_file.stem().string();
  if (id.rfind("wrong_", 0) == 0) id = id.substr(6);
  return MistakeHeader{id, name, why};
}

// A wrong case with several bugs (a partial fix of a debugging exercise) lists the known mistakes the
// judge must name somewhere in its report: "// names: left_merge, left_scale" in its first lines.
inline std::vector<std::string> read_named_mistakes(const std::filesystem::path& case_file) {
  std::ifstream in(case_file);
  std::string line;
  for (int i = 0; i < 5 && std::getline(in, line); ++i) {
    if (line.rfind("// names: ", 0) != 0) continue;
    std::vector<std::string> ids;
    std::istringstream list(line.substr(10));
    for (std::string id; std::getline(list, id, ',');) {
      id.erase(0, id.find_first_not_of(' '));
      id.erase(id.find_last_not_of(' ') + 1);
      if (!id.empty()) ids.push_back(id);
    }
    return ids;
  }
  return {};
}

}  // namespace kata
