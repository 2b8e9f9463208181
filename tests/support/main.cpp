// The main of the reference runners, which link the checks and the reference into one executable.
#include "kata_test.h"

int main(int argc, char** argv) { return kata_test::run_all_tests(argc, argv); }
