// The compile service's prefix (harness/compile_service.cpp): parsed once, before any learner's file, so
// that what a file's first use of a common template costs is paid here. Clang 14 loads every
// specialization a PCH holds of a template the first time a file asks for a new one (std::shared_ptr of
// the file's own type: ~0.14 s of loading is_convertible, __shared_ptr, ... from the PCH). The names are
// the service's own; nothing here is emitted into a learner's object (checked: the same symbols as a
// plain compile).
#include <torch/torch.h>

namespace kata_warm_up {

struct Plain {
  int value = 0;
};

struct NetImpl : torch::nn::Cloneable<NetImpl> {
  NetImpl() { reset(); }
  void reset() override {
    linear = register_module("linear", torch::nn::Linear(2, 2));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({2})));
    embedding = register_module("embedding", torch::nn::Embedding(2, 2));
    dropout = register_module("dropout", torch::nn::Dropout(0.1));
    layers = register_module("layers", torch::nn::ModuleList());
    scale = register_parameter("scale", torch::ones({2}));
    register_buffer("mask", torch::ones({2}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return dropout(norm(linear(x))) * scale; }
  torch::nn::Linear linear{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Embedding embedding{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::Tensor scale;
};
TORCH_MODULE(Net);

inline void use_containers() {
  using Pair = std::tuple<int64_t, int64_t>;
  std::map<Pair, Plain> by_pair;
  by_pair[Pair{1, 2}].value += 1;
  for (const auto& [pair, plain] : by_pair) (void)std::get<0>(pair);
  std::vector<Pair> pairs;  // bpe's merge table, and a rank of each pair
  pairs.push_back(Pair{1, 2});
  pairs.emplace_back(3, 4);
  std::map<Pair, int64_t> rank;
  rank.emplace(pairs[0], 0);
  if (rank.count(pairs[1]) == 0 && rank.find(pairs[0]) != rank.end()) rank[pairs[1]] = 1;
  std::map<std::string, int64_t> by_name;
  by_name.emplace("a", 1);
  std::unordered_map<int64_t, Plain> by_id;
  by_id.try_emplace(1).first->second.value = 2;
  std::set<int64_t> seen = {1, 2};
  seen.insert(3);
  std::vector<std::pair<double, int64_t>> ranked = {{1.0, 1}};
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string text = "ab" + std::to_string(1);
  text += text.substr(1);
}

inline void use_training() {
  Net net;
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  torch::optim::AdamW adamw(net->parameters(), torch::optim::AdamWOptions(1e-3));
  namespace F = torch::nn::functional;
  auto loss = F::cross_entropy(torch::ones({2, 2}), torch::zeros({2}, torch::kLong),
                               F::CrossEntropyFuncOptions().reduction(torch::kSum));
  sgd.zero_grad();
  loss.backward();
  torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
  sgd.step();
  adamw.step();
  auto generator = at::detail::createCPUGenerator(1);
  torch::randn({2}, generator, torch::TensorOptions().dtype(torch::kFloat64));
  loss.item<double>();
}

inline void use_templates() {
  auto shared = std::make_shared<Plain>();
  auto unique = std::make_unique<Plain>();
  std::vector<Plain> plains;
  plains.push_back(Plain{});
  plains.emplace_back();
  std::vector<torch::Tensor> tensors;
  tensors.push_back(torch::zeros({1}));
  Net net;
  auto y = net->forward(torch::ones({2}));
  auto copy = net->clone();
  for (auto& p : net->parameters()) p.grad();
  for (auto& item : net->named_parameters()) item.value().sizes();
}

}  // namespace kata_warm_up

// Here the service waits for files; each continues in a process of its own (compile_service.cpp).
#pragma kata_compile_here
