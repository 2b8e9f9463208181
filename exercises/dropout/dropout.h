// Contract for the dropout exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_DROPOUT_H
#define KATA_DROPOUT_H

#include <torch/torch.h>

namespace kata {
// Inverted dropout, as torch.nn.functional.dropout computes it.
//   training false: the identity (x's values, gradients passed through unchanged), whatever p is.
//   training true:  each element independently is zeroed with probability p and otherwise scaled by 1 / (1 - p),
//                   so the expected output equals x; gradients flow only through the kept elements, with the
//                   same 1 / (1 - p). p = 0 keeps everything; p = 1 zeroes everything (gradient 0, never NaN).
// The random draws come from a generator seeded with `seed` (at::make_generator<at::CPUGeneratorImpl>(seed)),
// never from the global one: the same (x, p, seed) gives the same output. How you draw from it is up to you.
// x: any shape (0-dim and empty included), float32 or float64; the result has x's shape and dtype.
// 0 <= p <= 1. LibTorch's dropout functions and modules may not be called.
torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed);
}  // namespace kata

#endif
