#include "judging.h"

#include <fmt/format.h>

namespace kata {

void require_source(const Exercise& e, const fs::path& source) {
  if (fs::is_regular_file(source)) return;
  throw UsageError(
      fmt::format("{} does not exist: run ./kata start {} to create it from the stub, or pass "
                  "--source FILE",
                  source.string(), e.id));
}

Judgement judge_file(const Context& ctx, const Exercise& e, const fs::path& source, uint64_t seed,
                     StepDisplay& display) {
  require_source(e, source);
  Recipe recipe;
  try {
    recipe = load_recipe(ctx.judge_dir, e.id);
  } catch (const std::exception& err) {
    throw EnvironmentError(
        fmt::format("the judge for {} is not built ({}); run ./kata, which builds it", e.id, err.what()));
  }
  return judge(recipe, e, source, seed,
               [&](const std::string& step) { display.step(fmt::format("{} {}", step, source.filename().string())); });
}

Judgement judge_and_record(const Context& ctx, const Exercise& e, const fs::path& source, uint64_t seed,
                           std::optional<int64_t> round, StepDisplay& display) {
  auto j = judge_file(ctx, e, source, seed, display);
  ctx.store().record_judgement(e.id, round, to_string(j.verdict), j.checks_passed(), static_cast<int>(j.checks.size()),
                               seed);
  return j;
}

}  // namespace kata
