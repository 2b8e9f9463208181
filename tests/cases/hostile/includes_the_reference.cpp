// expect: compile_error
// why: the compiler runs in a jail that shows the contract and this file, not solutions/ or tests/
#include "../../../solutions/causal_attention.cpp"
