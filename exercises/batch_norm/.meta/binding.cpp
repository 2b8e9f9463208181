// The batch_norm contract across the trust boundary (see harness/host/binding.h). The module lives in the
// worker between calls; its buffers come back to the checker's mirror after every call, and the mirror's
// mode (train() or eval()) goes with every call.
#include "batch_norm.h"

#include "binding.h"

KATA_BIND_MODULE(BatchNorm1d, (int64_t num_features, double eps, double momentum), (num_features, eps, momentum))
KATA_BIND_METHOD(BatchNorm1d, torch::Tensor, forward, (const torch::Tensor& x), (x))
