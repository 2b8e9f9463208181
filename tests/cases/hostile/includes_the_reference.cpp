// expect: compile_error
// why: the compiler runs in a jail that shows the contract and this file, not the exercise's .meta/
#include "../../../exercises/causal_attention/.meta/reference.cpp"
