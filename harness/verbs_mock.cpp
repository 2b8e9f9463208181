// The mock-round verbs: mock (interactive, or start/status/submit/abandon one step at a time) and history.
#include "cli.h"

namespace kata {

void setup_mock(CLI::App&, Context&) {}
void setup_history(CLI::App&, Context&) {}

}  // namespace kata
