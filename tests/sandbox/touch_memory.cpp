// touch_memory MB: keeps MB megabytes of real (written) pages, then sleeps; the sandbox test's memory hog.
#include <unistd.h>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  size_t bytes = std::strtoull(argc > 1 ? argv[1] : "0", nullptr, 10) << 20;
  char* block = static_cast<char*>(std::malloc(bytes));
  std::memset(block, 1, bytes);
  sleep(5);
  return block[bytes / 2] == 1 ? 0 : 1;
}
