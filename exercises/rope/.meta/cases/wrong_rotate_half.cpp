// expect: wrong_answer Rope.InterleavedPairs
// mistake: rotate_half pairing (x[i], x[i + d/2]) instead of adjacent pairs
// why: rotate_half (split halves, GPT-NeoX / HF Llama style) pairs x[i] with x[i + hs/2] instead of adjacent (2i, 2i+1)
#include "rope.h"

namespace kata {

static torch::Tensor rotate_half(const torch::Tensor& x) {
  auto halves = x.chunk(2, -1);
  return torch::cat({-halves[1], halves[0]}, -1);
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  auto inv_freq = torch::pow(base, -torch::arange(0, hs, 2, x.options()) / hs);
  auto freqs = torch::outer(positions.to(x.scalar_type()), inv_freq);  // (T, hs/2)
  auto emb = torch::cat({freqs, freqs}, -1);                            // (T, hs)
  return x * emb.cos() + rotate_half(x) * emb.sin();
}

}  // namespace kata
