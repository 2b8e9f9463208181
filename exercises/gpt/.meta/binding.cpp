// The gpt contract across the trust boundary (see harness/host/binding.h).
#include "gpt.h"

#include "binding.h"

KATA_BIND_MODULE(GPT, (int64_t vocab_size, int64_t block_size, int64_t n_layer, int64_t n_head, int64_t n_embd),
                 (vocab_size, block_size, n_layer, n_head, n_embd))
KATA_BIND_METHOD(GPT, torch::Tensor, forward, (const torch::Tensor& idx), (idx))
KATA_BIND_METHOD(GPT, torch::Tensor, loss, (const torch::Tensor& idx, const torch::Tensor& targets), (idx, targets))
KATA_BIND_METHOD(GPT, torch::Tensor, generate, (const torch::Tensor& idx, int64_t max_new_tokens),
                 (idx, max_new_tokens))
