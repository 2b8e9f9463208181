// The catalogue read from exercise folders: a folder whose exercise.toml does not load is left out and
// reported, and the other exercises stay usable.
#include "catalogue.h"

#include <gtest/gtest.h>

#include <fstream>

namespace {

namespace fs = std::filesystem;

const char* kGoodToml = R"(title = "Good"
topic = "t"
difficulty = "easy"
minutes = 10
hints = ["a", "b", "c"]
followups = ["x", "y", "z"]
)";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("kata-catalogue-" + std::to_string(::getpid()));
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(CatalogueTest, AFolderWithABrokenTomlIsLeftOutAndNamed) {
  write(dir / "good" / "exercise.toml", kGoodToml);
  write(dir / "half_written" / "exercise.toml", "title = \"Half\"\nhints = [\"a\"]\n");
  write(dir / "unparsable" / "exercise.toml", "title = \n");
  write(dir / "no_toml" / "README.md", "not an exercise yet");

  auto c = kata::Catalogue::load(dir);

  ASSERT_EQ(c.all().size(), 1u);
  EXPECT_EQ(c.all()[0].id, "good");
  ASSERT_EQ(c.broken().size(), 2u);
  EXPECT_EQ(c.broken()[0].id, "half_written");
  EXPECT_NE(c.broken()[0].problem.find("missing or mistyped field 'topic'"), std::string::npos)
      << c.broken()[0].problem;
  EXPECT_EQ(c.broken()[1].id, "unparsable");
  EXPECT_EQ(c.find("half_written"), nullptr);
  EXPECT_NE(c.unknown_message("half_written").find("exercise 'half_written' does not load:"), std::string::npos);
  EXPECT_NE(c.unknown_message("god").find("did you mean 'good'?"), std::string::npos);
}

}  // namespace
