// The main of every hidden-test binary. The judge sets KATA_SEED; each test reseeds torch from it and
// its own name, so a check's inputs do not depend on which checks ran before it.
#include "kata_test.h"

#include <cstdlib>
#include <functional>
#include <random>

namespace {

class ReseedEachTest : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& info) override {
    std::string name = std::string(info.test_suite_name()) + "." + info.name();
    torch::manual_seed(kata_test::run_seed() ^ std::hash<std::string>{}(name));
  }
};

uint64_t seed_from_environment() {
  if (const char* s = std::getenv("KATA_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}() % 1000000;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  kata_test::set_run_seed(seed_from_environment());
  torch::set_num_threads(1);
  ::testing::UnitTest::GetInstance()->listeners().Append(new ReseedEachTest);
  return RUN_ALL_TESTS();
}
