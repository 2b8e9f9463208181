// The verbs: one setup function each (CLI11's subcommand-in-files pattern); main only wires them together.
#pragma once

#include <CLI/CLI.hpp>

#include "context.h"

namespace kata {

void setup_list(CLI::App& app, Context& ctx);
void setup_show(CLI::App& app, Context& ctx);
void setup_start(CLI::App& app, Context& ctx);
void setup_hint(CLI::App& app, Context& ctx);
void setup_reset(CLI::App& app, Context& ctx);
void setup_solution(CLI::App& app, Context& ctx);
void setup_judge(CLI::App& app, Context& ctx);
void setup_watch(CLI::App& app, Context& ctx);
void setup_mock(CLI::App& app, Context& ctx);
void setup_history(CLI::App& app, Context& ctx);
void setup_progress(CLI::App& app, Context& ctx);
void setup_dev(CLI::App& app, Context& ctx);

// "readiness: 3 of 16 checklist items solved (./kata progress for the map)", for the top of `kata list`.
std::string readiness_summary(const Context& ctx, const Catalogue& catalogue);

}  // namespace kata
