// kata: the command line. main only wires the verbs together; each verb lives in its own setup function.
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>

#include "cli.h"

namespace kata {

Catalogue Context::catalogue() const { return Catalogue::load(source_dir / "exercises"); }

const Exercise& Context::exercise(const Catalogue& c, const std::string& id) const {
  if (const Exercise* e = c.find(id)) return *e;
  throw UsageError(c.unknown_message(id));
}

Workspace Context::workspace() const { return {workspace_dir, judge_dir, source_dir / "exercises"}; }

Store Context::store() const {
  workspace().require_writable();  // SQLite would call a read-only database damaged
  return Store(workspace().database());
}

bool Context::stdout_is_terminal() const { return isatty(STDOUT_FILENO); }

bool Context::color() const {
  const char* no_color = std::getenv("NO_COLOR");
  return stdout_is_terminal() && !(no_color && *no_color);
}

namespace {

constexpr const char* kVersion = "kata 0.1.0";

// No verb, or one kata does not know: CLI11 would only say "A subcommand is required".
int missing_verb(const CLI::App& app) {
  auto extras = app.remaining();
  if (extras.empty()) {
    fmt::print(stderr, "{}", app.help());
    return 2;
  }
  const std::string& word = extras.front();
  fmt::print(stderr, "error: unknown {} '{}'; run kata --help for the list\n",
             word.rfind('-', 0) == 0 ? "option" : "command", word);
  return 2;
}

// Whether the verb asked for --json (`mock start --json` is two levels down).
bool json_requested(const CLI::App& app) {
  for (const CLI::App* verb : app.get_subcommands()) {
    const CLI::Option* json = verb->get_option_no_throw("--json");
    if ((json && json->count() > 0) || json_requested(*verb)) return true;
  }
  return false;
}

// A script that asked for --json gets the error as JSON on stdout too, so stdout is never empty.
int fail(const CLI::App& app, int exit_code, const std::string& message) {
  if (json_requested(app))
    fmt::print("{}\n", nlohmann::json{{"error", message}, {"exit_code", exit_code}}.dump(
                           2, ' ', false, nlohmann::json::error_handler_t::replace));
  return exit_code;
}

}  // namespace
}  // namespace kata

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a judged program that exits early must not take the judge with it
  kata::Context ctx;
  CLI::App app{"torchkata: ML coding-interview practice in C++ with LibTorch", "kata"};
  app.require_subcommand(1);
  app.get_formatter()->column_width(16);  // the help fits 80 columns; the verbs inherit it
  app.set_version_flag("--version", kata::kVersion);
  ctx.workspace_dir = ctx.source_dir / "workspace";
  const char* judge_dir = std::getenv("KATA_JUDGE_DIR");
  ctx.judge_dir = judge_dir ? kata::fs::path(judge_dir) : kata::fs::path(KATA_BUILD_DIR) / "judge";
  app.add_option("--workspace", ctx.workspace_dir, "where attempts and progress live")->envname("KATA_WORKSPACE");

  kata::setup_list(app, ctx);
  kata::setup_show(app, ctx);
  kata::setup_start(app, ctx);
  kata::setup_hint(app, ctx);
  kata::setup_reset(app, ctx);
  kata::setup_solution(app, ctx);
  kata::setup_judge(app, ctx);
  kata::setup_watch(app, ctx);
  kata::setup_mock(app, ctx);
  kata::setup_history(app, ctx);
  kata::setup_progress(app, ctx);
  kata::setup_dev(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (app.get_subcommands().empty()) return kata::missing_verb(app);
    app.exit(e);
    return kata::fail(app, 2, e.what());
  } catch (const kata::UsageError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kata::fail(app, 2, e.what());
  } catch (const std::exception& e) {  // EnvironmentError, StoreError, and anything the machine threw at us
    fmt::print(stderr, "error: {}\n", e.what());
    return kata::fail(app, 3, e.what());
  }
  return ctx.exit_code;
}
