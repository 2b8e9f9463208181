// What every verb and the layers under them share: where things are, and the errors that become exit
// codes (0 accepted / done, 1 judged and not accepted, 2 bad input, 3 environment problem). No CLI here:
// judging and mock rounds use this, and only the verbs know CLI11.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "catalogue.h"
#include "store.h"
#include "workspace.h"

namespace kata {

struct UsageError : std::runtime_error {  // exit 2
  using std::runtime_error::runtime_error;
};
struct EnvironmentError : std::runtime_error {  // exit 3
  using std::runtime_error::runtime_error;
};

struct Context {
  fs::path source_dir = KATA_SOURCE_DIR;
  fs::path judge_dir;      // the build's judge pieces; KATA_JUDGE_DIR points elsewhere (tests do)
  fs::path workspace_dir;  // --workspace or KATA_WORKSPACE; default ./workspace in the source tree
  int exit_code = 0;

  Catalogue catalogue() const;
  const Exercise& exercise(const Catalogue& c, const std::string& id) const;  // throws UsageError
  Workspace workspace() const;  // with the flags an editor needs, once the judge is built
  Store store() const;  // throws NotWritable for a read-only workspace
  bool stdout_is_terminal() const;
  bool color() const;  // on a terminal, unless NO_COLOR is set to anything (https://no-color.org)
};

// "1 judge run", "2 judge runs", "0.5 minutes".
inline std::string counted(double n, const std::string& noun) {
  return fmt::format("{:g} {}{}", n, noun, n == 1 ? "" : "s");
}

}  // namespace kata
