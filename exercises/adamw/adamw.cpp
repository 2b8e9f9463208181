// Your solution: implement kata::AdamW as README.md and adamw.h describe.
// Judge it with: ./kata judge adamw
#include "adamw.h"

namespace kata {

// Everything your optimiser keeps between steps (the moment estimates, step counts, ...): yours to design.
struct AdamW::State {};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  // TODO: create what every parameter needs (m and v like the parameter, a step count)
}

void AdamW::step() {
  // TODO: for every parameter whose grad is defined, in place and without autograd history:
  // TODO: decoupled weight decay, the two moments, bias correction with that parameter's own t, the update
}

void AdamW::zero_grad() {
  // TODO: clear every parameter's gradient (zeros or undefined)
}

}  // namespace kata
