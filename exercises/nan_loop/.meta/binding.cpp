// The nan_loop contract across the trust boundary (see harness/host/binding.h).
#include "nan_loop.h"

#include "binding.h"

KATA_BIND_FUNCTION(std::vector<double>, train_classifier,
                   (const torch::Tensor& features, const torch::Tensor& labels, int64_t num_classes, int64_t steps,
                    double lr),
                   (features, labels, num_classes, steps, lr))
