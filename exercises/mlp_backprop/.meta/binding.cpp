// The mlp_backprop contract across the trust boundary (see harness/host/binding.h).
#include "mlp_backprop.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::MlpGrads, c.loss, c.dw1, c.db1, c.dw2, c.db2);

KATA_BIND_FUNCTION(kata::MlpGrads, mlp_backprop,
                   (const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                    const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation),
                   (x, y, w1, b1, w2, b2, activation))
