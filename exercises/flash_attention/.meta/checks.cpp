// Hidden tests for flash_attention: the learner's kata::flash_attention against the reference and against plain
// attention (the softmax of the full score matrix, computed here on small inputs), for every kind of block size,
// plus a sequence of 8192 positions under a memory limit a seq x seq score matrix cannot fit in.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "flash_attention.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;

struct Shape {
  int64_t batch, heads, seq, head_dim;
};
// seq differs from head_dim, so a scale from the wrong dimension shows.
const std::vector<Shape> kShapes = {{2, 3, 10, 4}, {1, 2, 13, 8}, {2, 1, 7, 3}};
// For each sequence length: blocks of 1, a divisor, a non-divisor (a short last block), the whole sequence, more.
std::vector<int64_t> block_sizes(int64_t seq) { return {1, 2, 3, seq - 1, seq, seq + 5}; }

std::vector<torch::Tensor> random_qkv(const Shape& s, torch::ScalarType dtype, double spread = 1.0) {
  auto opts = torch::TensorOptions().dtype(dtype);
  return {torch::randn({s.batch, s.heads, s.seq, s.head_dim}, opts) * spread,
          torch::randn({s.batch, s.heads, s.seq, s.head_dim}, opts) * spread,
          torch::randn({s.batch, s.heads, s.seq, s.head_dim}, opts)};
}

std::string describe_case(const std::vector<torch::Tensor>& qkv, bool causal, int64_t block_size) {
  return fmt::format("causal {}, block_size {}, {}", causal, block_size,
                     kata_test::describe({{"q", qkv[0]}, {"k", qkv[1]}, {"v", qkv[2]}}));
}

kata::FlashOutput learner(const std::vector<torch::Tensor>& qkv, bool causal, int64_t block_size) {
  return kata::flash_attention(qkv[0], qkv[1], qkv[2], causal, block_size);
}

// Plain attention on the full score matrix: what the blocks must add up to.
kata::FlashOutput plain_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t T = q.size(2), S = k.size(2);
  auto s = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal) {
    // Query rows may be a subset: their positions are the last T of the S keys' positions when T < S.
    auto query_pos = torch::arange(S - T, S).unsqueeze(1);
    s = s.masked_fill(torch::arange(S).unsqueeze(0) > query_pos, -std::numeric_limits<double>::infinity());
  }
  return {torch::matmul(torch::softmax(s, -1), v), torch::logsumexp(s, -1)};
}

// The learner's out and lse against `want`'s (the reference's or plain attention's, computed beforehand).
template <class Want>
std::optional<std::string> result_diff(const kata::FlashOutput& got, const Want& want,
                                       const std::string& case_desc, std::optional<kata_test::Tolerance> tol = {}) {
  if (auto e = diff(got.out, want.out, "out", case_desc, tol)) return e;
  return diff(got.lse, want.lse, "lse", case_desc, tol);
}

void expect_matches_reference(torch::ScalarType dtype, bool check_lse) {
  for (const auto& s : kShapes) {
    for (bool causal : {false, true}) {
      for (int64_t bs : block_sizes(s.seq)) {
        auto qkv = random_qkv(s, dtype);
        auto want = reference::kata::flash_attention(qkv[0], qkv[1], qkv[2], causal, bs);
        auto got = learner(qkv, causal, bs);
        if (check_lse)
          KATA_ASSERT_OK(diff(got.lse, want.lse, "lse", describe_case(qkv, causal, bs)));
        else
          KATA_ASSERT_OK(diff(got.out, want.out, "out", describe_case(qkv, causal, bs)));
      }
    }
  }
}

TEST(FlashAttention, OutputFloat64) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf: a block whose scores are all masked has max -inf, and exp(-inf - (-inf)) is NaN; "
                     "visit the blocks from key 0 (every query sees it), so the running max is finite from the "
                     "first block on. Or exp() overflowed: subtract the running max before exponentiating.");
  kata_test::meaning(
      "out differs from attention: per block, m_new = max(m, rowmax(s)); rescale the old sums by exp(m - m_new) "
      "(both l and the output accumulator), add exp(s - m_new) and exp(s - m_new) v_block, and divide by l once, "
      "at the end. The causal mask compares absolute positions (key start + j against query i), and the last "
      "block is shorter when block_size does not divide seq.");
  expect_matches_reference(torch::kFloat64, /*check_lse=*/false);
}

TEST(FlashAttention, LogSumExp) {
  kata_test::meaning(
      "lse differs: it is log(sum_j exp(s_ij)) over the allowed keys, which the running values give as "
      "m + log(l) (the max added back: log(l) alone is relative to m).");
  expect_matches_reference(torch::kFloat64, /*check_lse=*/true);
}

TEST(FlashAttention, MatchesPlainAttention) {
  kata_test::meaning(
      "Yours differs from plain attention on the full score matrix: the blocks must add up to exactly "
      "softmax(q k^T / sqrt(head_dim)) v, whatever the block size.");
  for (const auto& s : kShapes) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(s, torch::kFloat64);
      auto want = plain_attention(qkv[0], qkv[1], qkv[2], causal);
      for (int64_t bs : {int64_t{4}, s.seq}) KATA_ASSERT_OK(result_diff(learner(qkv, causal, bs), want, describe_case(qkv, causal, bs)));
    }
  }
}

TEST(FlashAttention, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in must give float32 out and lse: create m, l and the accumulator with q.options().");
  kata_test::meaning("The float32 results differ from the reference's in float32.");
  for (const auto& s : kShapes) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(s, torch::kFloat32);
      auto want = reference::kata::flash_attention(qkv[0], qkv[1], qkv[2], causal, 3);
      KATA_ASSERT_OK(result_diff(learner(qkv, causal, 3), want, describe_case(qkv, causal, 3)));
    }
  }
}

TEST(FlashAttention, LargeScoresStayFinite) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "With scores in the hundreds exp() overflows: exponentiate only scores minus the running "
                     "max, and rescale with exp(m_old - m_new), which is never above 1.");
  kata_test::meaning("With large scores the results differ: the online softmax loses accuracy or overflows.");
  for (bool causal : {false, true}) {
    auto qkv = random_qkv({1, 2, 12, 4}, torch::kFloat64, /*spread=*/12.0);
    auto want = plain_attention(qkv[0], qkv[1], qkv[2], causal);
    KATA_ASSERT_OK(result_diff(learner(qkv, causal, 5), want, describe_case(qkv, causal, 5), kata_test::Tolerance{1e-8, 1e-8}));
  }
}

TEST(FlashAttention, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Gradients must reach q, k and v: build everything with differentiable tensor ops (no "
                     ".detach(), NoGradGuard, .item() or writes through data_ptr).");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The results match but a gradient does not: look for in-place updates of the running "
                     "tensors (acc.mul_, l.add_) that autograd needed, or a part computed outside autograd.");
  kata_test::meaning("A gradient of out or lse differs from autograd's through plain attention.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& s : kShapes) {
      for (bool causal : {false, true}) {
        auto qkv = random_qkv(s, dtype);
        auto both = [causal](auto attend) {
          return [attend, causal](const std::vector<torch::Tensor>& in) {
            kata::FlashOutput r = attend(in[0], in[1], in[2], causal);
            if (!r.out.defined() || !r.lse.defined()) return torch::Tensor();
            return torch::cat({r.out.flatten(), r.lse.flatten()});  // one weighted sum covers both results
          };
        };
        auto weight = torch::randn({qkv[0].numel() + qkv[0].numel() / s.head_dim}, qkv[0].options());
        auto flash = [](const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool c) {
          return kata::flash_attention(q, k, v, c, 3);
        };
        KATA_ASSERT_OK(kata_test::backward_diff(kata_test::run_backward(both(flash), qkv, weight),
                                                kata_test::run_backward(both(plain_attention), qkv, weight),
                                                {"q", "k", "v"}, describe_case(qkv, causal, 3)));
      }
    }
  }
}

// Memory over a long sequence, where the kernel can measure the learner's call: 1536 positions, whose float64
// score matrix alone (18 MiB) is more than the call may add (12 MiB; the blocked reference adds ~4 MiB, its
// inputs and outputs included). Where it cannot, 3072 positions under the worker's limit (64 MiB,
// exercise.toml), which that matrix (72 MiB) alone crosses.
constexpr int64_t kMeasuredSeq = 1536, kLimitedSeq = 3072, kBlock = 16;
constexpr int64_t kRiseBudget = 12 << 20;

// The learner's call over seq positions, on inputs drawn here, and how much memory it added (nullopt when the
// kernel cannot say).
struct LongRun {
  std::vector<torch::Tensor> qkv;
  kata::FlashOutput got;
  std::optional<int64_t> rise;
};
LongRun long_run(int64_t seq, bool causal) {
  LongRun run;
  run.qkv = random_qkv({1, 1, seq, 16}, torch::kFloat64);
  run.rise = kata_test::memory_rise([&] { run.got = learner(run.qkv, causal, kBlock); });
  return run;
}

TEST(FlashAttention, LongSequenceMemory) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf over a long sequence: see OutputFloat64's advice on masked blocks and overflow.");
  kata_test::meaning(
      "Over a long sequence the results differ from exact attention at the sampled queries (positions 0, 1, "
      "block edges and the last): check the blocks past the first ones and the short last block.");
  for (bool causal : {false, true}) {
    auto run = long_run(kMeasuredSeq, causal);
    if (!run.rise) {
      run = long_run(kLimitedSeq, causal);  // the worker's limit tells instead
    } else if (*run.rise > kRiseBudget) {
      kata_test::fail_memory_limit(fmt::format(
          "over {} positions your call used {:.1f} MiB more memory than before it, more than the {} MiB "
          "allowed: the {} x {} score matrix alone is {} MiB. FlashAttention's memory is O(seq x block_size): "
          "no seq x seq tensor, not even one head or one block of queries at a time against all keys",
          kMeasuredSeq, *run.rise / 1048576.0, kRiseBudget >> 20, kMeasuredSeq, kMeasuredSeq,
          (kMeasuredSeq * kMeasuredSeq * 8) >> 20));
      return;
    }
    const auto& qkv = run.qkv;
    const auto& got = run.got;
    const int64_t T = qkv[0].size(2);
    if (!got.out.defined() || got.out.sizes() != qkv[0].sizes() || !got.lse.defined() ||
        got.lse.sizes() != qkv[0].sizes().slice(0, 3))
      KATA_ASSERT_OK(result_diff(got, reference::kata::flash_attention(qkv[0], qkv[1], qkv[2], causal, kBlock),
                                 describe_case(qkv, causal, kBlock)));
    for (int64_t row : {int64_t{0}, int64_t{1}, kBlock - 1, kBlock, kBlock + 1, T / 3, T / 2 - 1, T / 2,
                        T - kBlock - 1, T - 1}) {
      auto q_row = qkv[0].narrow(2, row, 1);
      auto keys = causal ? row + 1 : T;  // a causal query sees keys 0 .. row: plain_attention puts it last
      auto want = plain_attention(q_row, qkv[1].narrow(2, 0, keys), qkv[2].narrow(2, 0, keys), causal);
      kata::FlashOutput got_row{got.out.narrow(2, row, 1), got.lse.narrow(2, row, 1)};
      KATA_ASSERT_OK(
          result_diff(got_row, want, fmt::format("{}, query {}", describe_case(qkv, causal, kBlock), row)));
    }
  }
}

TEST(FlashAttention, EdgeShapes) {
  kata_test::meaning(
      "A sequence of one, head_dim 1, a batch or head count of one, or a block larger than the sequence breaks a "
      "solution that squeezes dimensions or assumes a full block.");
  for (const auto& s : std::vector<Shape>{{1, 1, 1, 1}, {2, 2, 1, 4}, {1, 3, 5, 1}, {3, 1, 4, 2}}) {
    for (bool causal : {false, true}) {
      for (int64_t bs : {int64_t{1}, int64_t{2}, s.seq + 3}) {
        auto qkv = random_qkv(s, torch::kFloat64);
        auto want = reference::kata::flash_attention(qkv[0], qkv[1], qkv[2], causal, bs);
        KATA_ASSERT_OK(result_diff(learner(qkv, causal, bs), want, describe_case(qkv, causal, bs)));
      }
    }
  }
}

TEST(FlashAttention, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views give different results: .view() on a non-contiguous tensor or indexing raw data_ptr "
      "assumes a memory layout; use narrow, reshape and matmul.");
  for (const auto& s : kShapes) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(s, torch::kFloat64);
      auto want = reference::kata::flash_attention(qkv[0], qkv[1], qkv[2], causal, 4);
      std::vector<torch::Tensor> views;
      for (const auto& t : qkv) views.push_back(kata_test::non_contiguous(t));
      KATA_ASSERT_OK(result_diff(learner(views, causal, 4), want, describe_case(views, causal, 4)));
    }
  }
}

TEST(FlashAttention, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into q, k or v (an in-place op such as q.mul_(scale)): callers reuse them, so they "
      "must be left as they were.");
  for (bool causal : {false, true}) {
    auto qkv = random_qkv({2, 2, 9, 4}, torch::kFloat64);
    std::vector<torch::Tensor> copies;
    for (const auto& t : qkv) copies.push_back(t.clone());
    learner(qkv, causal, 4);
    const char* names[] = {"q", "k", "v"};
    for (int i = 0; i < 3; ++i)
      KATA_ASSERT_OK(diff(qkv[i], copies[i], std::string(names[i]) + " after the call", describe_case(copies, causal, 4),
                          kata_test::Tolerance{0, 0}));
  }
}

}  // namespace
