// expect: compile_error
// why: an #include of a device (/dev/zero) reads as an empty file in the compiler's jail, so the file
//      defines nothing, and the judge names the missing definition instead of hanging
#include "/dev/zero"
