// expect: wrong_answer CausalAttention.GradientsQKV
// mistake: output filled through raw pointers
// why: the values are right, but the output is a new tensor filled through raw pointers, so autograd never saw how it depends on q, k and v and no gradient can flow back; compute with tensor ops (matmul, softmax) instead
#include "causal_attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kata {

namespace {
template <typename T>
void attend(const T* q, const T* k, const T* v, T* out, int64_t BH, int64_t S, int64_t D) {
  const T scale = T(1) / std::sqrt(T(D));
  std::vector<T> w(S);
  for (int64_t b = 0; b < BH; ++b) {
    const T *qb = q + b * S * D, *kb = k + b * S * D, *vb = v + b * S * D;
    T* ob = out + b * S * D;
    for (int64_t i = 0; i < S; ++i) {
      T mx = -INFINITY;
      for (int64_t j = 0; j <= i; ++j) {
        T s = 0;
        for (int64_t c = 0; c < D; ++c) s += qb[i * D + c] * kb[j * D + c];
        w[j] = s * scale;
        mx = std::max(mx, w[j]);
      }
      T sum = 0;
      for (int64_t j = 0; j <= i; ++j) sum += (w[j] = std::exp(w[j] - mx));
      for (int64_t c = 0; c < D; ++c) {
        T acc = 0;
        for (int64_t j = 0; j <= i; ++j) acc += w[j] * vb[j * D + c];
        ob[i * D + c] = acc / sum;
      }
    }
  }
}
}  // namespace

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
  auto out = torch::empty(q.sizes(), q.options());
  const int64_t S = q.size(2), D = q.size(3), BH = q.size(0) * q.size(1);
  if (q.scalar_type() == torch::kFloat64)
    attend(qc.data_ptr<double>(), kc.data_ptr<double>(), vc.data_ptr<double>(), out.data_ptr<double>(), BH, S, D);
  else
    attend(qc.data_ptr<float>(), kc.data_ptr<float>(), vc.data_ptr<float>(), out.data_ptr<float>(), BH, S, D);
  return out;
}

}  // namespace kata
