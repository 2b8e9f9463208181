// expect: compile_error
// why: an #include that never ends (/dev/zero) is stopped by the compiler's limits, not retried
#include "/dev/zero"
