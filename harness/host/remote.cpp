// The checker's side of a binding: encodes a call, sends it to the worker, and turns the reply back into
// values, with an autograd node standing for the learner's computation so gradients flow through it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <sstream>

#include "binding.h"
#include "kata_test.h"
#include "session.h"

namespace kata_remote {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Graphs the checker no longer needs; the worker is told with the next call.
std::vector<int64_t>& released() {
  static std::vector<int64_t> ids;
  return ids;
}

struct GraphHandle : torch::CustomClassHolder {
  explicit GraphHandle(int64_t id) : id(id) {}
  ~GraphHandle() override { released().push_back(id); }
  int64_t id;
};

// The graphs to let go of, sent with the next call or backward pass rather than in a round trip of their own.
Value take_releases() {
  List ids;
  for (int64_t id : released()) ids.push_back(Value(id));
  released().clear();
  return Value(std::move(ids));
}

struct Pending {
  variable_list outputs;
  c10::intrusive_ptr<GraphHandle> graph;
  std::string call;  // described, for a failure in its backward pass
};

const List& ok_reply(const Value& reply) {
  const List& r = reply.as_list();
  if (r.empty()) throw ProtocolError("an empty reply");
  if (r[0].as_string() == "ok") return r;
  const std::string kind = r.size() > 1 ? r[1].as_string() : "";
  const std::string message = r.size() > 2 ? r[2].as_string() : "";
  if (kind == "out_of_memory") {
    Session::get().fail(Failure::memory_limit, "ran out of memory: " + message);
    throw WorkerError(Failure::memory_limit, "ran out of memory: " + message);
  }
  Session::get().fail(Failure::exception, message);
  throw LearnerError(message);
}

// The learner's computation as one node of the checker's graph: its backward asks the worker to
// back-propagate through the graph it kept.
struct RemoteFunction : torch::autograd::Function<RemoteFunction> {
  static variable_list forward(AutogradContext* ctx, at::TensorList inputs, std::shared_ptr<Pending> pending) {
    ctx->saved_data["graph"] = c10::IValue::make_capsule(pending->graph);
    ctx->saved_data["call"] = pending->call;
    ctx->saved_data["inputs"] = static_cast<int64_t>(inputs.size());
    return pending->outputs;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return decoding([&] { return back_propagate(ctx, grad_outputs); });
  }

 private:
  static variable_list back_propagate(AutogradContext* ctx, const variable_list& grad_outputs) {
    auto graph = c10::static_intrusive_pointer_cast<GraphHandle>(ctx->saved_data["graph"].toCapsule());
    Session::get().set_call("the backward pass of " + ctx->saved_data["call"].toStringRef());
    List grads;
    for (const auto& g : grad_outputs) grads.push_back(g.defined() ? Value(g.detach()) : Value());
    Value reply = Session::get().request(
        Value(List{Value("backward"), take_releases(), Value(graph->id), Value(std::move(grads))}));
    const List& leaf_grads = ok_reply(reply).at(1).as_list();
    if (static_cast<int64_t>(leaf_grads.size()) != ctx->saved_data["inputs"].toInt())
      throw ProtocolError("the worker returned the wrong number of gradients");
    variable_list result;
    for (const auto& g : leaf_grads) result.push_back(g.is_none() ? torch::Tensor() : g.as_tensor().detach());
    result.emplace_back();  // for `pending`, not a tensor
    return result;
  }
};

// Module mirrors: which worker object each checker-side module stands for.
std::map<const torch::nn::Module*, int64_t>& mirrors() {
  static std::map<const torch::nn::Module*, int64_t> m;
  return m;
}

// The submodule at a dotted path ("attn.q_proj"), created as a plain module where missing.
torch::nn::Module& submodule(torch::nn::Module& root, const std::string& path) {
  torch::nn::Module* m = &root;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) {
    std::string name = path.substr(start, dot - start);
    auto children = m->named_children();
    if (auto* child = children.find(name)) {
      m = child->get();
    } else {
      m = m->register_module(name, std::make_shared<torch::nn::Module>(name)).get();
    }
  }
  return *m;
}

std::string leaf_name(const std::string& path) { return path.substr(path.rfind('.') + 1); }

// "[2, 3, 5, 8] float64", "true", "[...]": enough to reproduce a failing input, on one line.
std::string describe(const Value& v) {
  if (v.is_none()) return "none";
  if (const auto* t = std::get_if<torch::Tensor>(&v.v)) {
    return kata_test::describe("", *t).substr(1);
  }
  if (const auto* b = std::get_if<bool>(&v.v)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<int64_t>(&v.v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v.v)) return fmt::format("{}", *d);
  if (const auto* s = std::get_if<std::string>(&v.v)) return "\"" + s->substr(0, 40) + "\"";
  return "[...]";
}

// "causal_attention(q [2, 3, 5, 8] float64, k ..., v ...), seed 7"; a method's first value is its module.
std::string describe_call(const std::string& name, std::string arg_names, const List& args) {
  arg_names.erase(std::remove_if(arg_names.begin(), arg_names.end(), [](char c) { return c == '(' || c == ')'; }),
                  arg_names.end());
  std::vector<std::string> names;
  std::istringstream in(arg_names);
  for (std::string n; std::getline(in, n, ',');) names.push_back(n.substr(n.find_first_not_of(' ')));
  size_t first = args.size() > names.size() ? args.size() - names.size() : 0;
  std::vector<std::string> parts;
  for (size_t i = first; i < args.size(); ++i)
    parts.push_back((i - first < names.size() ? names[i - first] + " " : "") + describe(args[i]));
  return fmt::format("{}({}), seed {}", name, fmt::join(parts, ", "), kata_test::run_seed());
}

}  // namespace

Value snapshot(const Value& v) {
  if (std::holds_alternative<torch::Tensor>(v.v)) {
    const auto& t = v.as_tensor();
    return t.defined() ? Value(t.detach().clone()) : v;
  }
  if (std::holds_alternative<List>(v.v)) {
    List copy;
    for (const auto& item : v.as_list()) copy.push_back(snapshot(item));
    return Value(std::move(copy));
  }
  return v;
}

bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type()) return false;
  auto x = a.detach().contiguous(), y = b.detach().contiguous();
  return std::memcmp(x.data_ptr(), y.data_ptr(), x.numel() * x.element_size()) == 0;
}

void overwrite(const torch::Tensor& target, const torch::Tensor& values) {
  if (target.sizes() != values.sizes()) return;
  torch::NoGradGuard no_grad;
  target.detach().copy_(values);
}

Reply call(const std::string& name, const char* arg_names, List args) {
  std::string described = describe_call(name, arg_names, args);
  Session::get().set_call(described);
  const bool grad_mode = torch::GradMode::is_enabled();
  Value all_args(std::move(args));
  std::vector<torch::Tensor*> arg_tensors = kata_wire::tensors_in(all_args);
  std::vector<torch::Tensor> inputs;
  for (auto* t : arg_tensors)
    if (t->requires_grad()) inputs.push_back(*t);

  Value reply = Session::get().request(
      Value(List{Value("call"), take_releases(), Value(name), Value(grad_mode), std::move(all_args)}));
  const List& r = ok_reply(reply);
  if (r.size() != 4) throw ProtocolError("a call's reply has the wrong shape");
  Reply out{r[1], r[2].as_list()};
  std::vector<torch::Tensor*> outputs = kata_wire::tensors_in(out.result), differentiable;
  for (auto* t : outputs) {
    if (t->requires_grad()) differentiable.push_back(t);
    *t = t->detach();
  }
  if (r[3].is_none()) return out;
  auto graph = c10::make_intrusive<GraphHandle>(r[3].as_int());
  if (!grad_mode || inputs.empty() || differentiable.empty()) return out;  // the handle releases the graph
  auto pending = std::make_shared<Pending>();
  for (auto* t : differentiable) pending->outputs.push_back(*t);
  pending->graph = graph;
  pending->call = described;
  auto wrapped = RemoteFunction::apply(at::TensorList(inputs), pending);
  for (size_t i = 0; i < differentiable.size(); ++i) *differentiable[i] = wrapped[i];
  return out;
}

void malformed_reply(const std::string& what) { Session::get().malformed_reply(what); }

// Constructs the module in the worker and mirrors its parameters and buffers here.
static void mirror(torch::nn::Module& self, const std::string& name, const char* arg_names, List args) {
  Reply reply = call(name, arg_names, std::move(args));
  const List& d = reply.result.as_list();
  if (d.size() != 3) throw ProtocolError("a module's description has the wrong shape");
  mirrors()[&self] = d[0].as_int();
  for (const auto& entry : d[1].as_list()) {
    const List& p = entry.as_list();
    const std::string& path = p.at(0).as_string();
    submodule(self, path).register_parameter(leaf_name(path), p.at(1).as_tensor().clone(), p.at(2).as_bool());
  }
  for (const auto& entry : d[2].as_list()) {
    const List& b = entry.as_list();
    const std::string& path = b.at(0).as_string();
    submodule(self, path).register_buffer(leaf_name(path), b.at(1).as_tensor().clone());
  }
}

void construct(torch::nn::Module& self, const std::string& name, const char* arg_names, List args) {
  decoding([&] { mirror(self, name, arg_names, std::move(args)); });
}

Value module_ref(const torch::nn::Module& self) {
  auto it = mirrors().find(&self);
  if (it == mirrors().end()) throw ProtocolError("a module the worker did not construct");
  return Value(List{Value("module"), Value(it->second), Value(kata_wire::named(self.named_parameters())),
                    Value(kata_wire::named(self.named_buffers())), Value(self.is_training())});
}

void update_module(torch::nn::Module& self, const Value& changed) {
  auto params = self.named_parameters();
  auto buffers = self.named_buffers();
  for (const auto& entry : changed.as_list()) {
    const List& v = entry.as_list();
    const std::string& name = v.at(0).as_string();
    torch::Tensor* mine = params.find(name);
    if (!mine) mine = buffers.find(name);
    if (mine) overwrite(*mine, v.at(1).as_tensor());
  }
}

// ---- torch::nn::Sequential: layer by layer.

Value Marshal<torch::nn::Sequential>::to(const torch::nn::Sequential& model) {
  List layers;
  for (const auto& child : model->children()) {
    if (auto* linear = child->as<torch::nn::Linear>()) {
      const auto& o = linear->options;
      layers.push_back(Value(List{Value("Linear"), Value(o.in_features()), Value(o.out_features()), Value(o.bias())}));
    } else if (auto* norm = child->as<torch::nn::LayerNorm>()) {
      const auto& o = norm->options;
      layers.push_back(Value(
          List{Value("LayerNorm"), Value(o.normalized_shape().back()), Value(o.eps()), Value(o.elementwise_affine())}));
    } else if (child->as<torch::nn::Tanh>()) {
      layers.push_back(Value(List{Value("Tanh")}));
    } else if (child->as<torch::nn::ReLU>()) {
      layers.push_back(Value(List{Value("ReLU")}));
    } else if (child->as<torch::nn::Sigmoid>()) {
      layers.push_back(Value(List{Value("Sigmoid")}));
    } else if (auto* gelu = child->as<torch::nn::GELU>()) {
      layers.push_back(Value(List{Value("GELU"), Value(gelu->options.approximate())}));
    } else {
      throw std::logic_error("a binding cannot send a " + child->name() + " layer");
    }
  }
  return Value(List{Value(std::move(layers)), Value(kata_wire::named(model->named_parameters()))});
}

torch::nn::Sequential Marshal<torch::nn::Sequential>::from(const Value& v) {
  const List& l = v.as_list();
  torch::nn::Sequential model;
  for (const auto& layer : l.at(0).as_list()) {
    const List& f = layer.as_list();
    const std::string& type = f.at(0).as_string();
    if (type == "Linear") {
      model->push_back(
          torch::nn::Linear(torch::nn::LinearOptions(f.at(1).as_int(), f.at(2).as_int()).bias(f.at(3).as_bool())));
    } else if (type == "LayerNorm") {
      model->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({f.at(1).as_int()})
                                                .eps(f.at(2).as_double())
                                                .elementwise_affine(f.at(3).as_bool())));
    } else if (type == "Tanh") {
      model->push_back(torch::nn::Tanh());
    } else if (type == "ReLU") {
      model->push_back(torch::nn::ReLU());
    } else if (type == "Sigmoid") {
      model->push_back(torch::nn::Sigmoid());
    } else if (type == "GELU") {
      model->push_back(torch::nn::GELU(torch::nn::GELUOptions().approximate(f.at(1).as_string())));
    } else {
      throw ProtocolError("unknown layer " + type);
    }
  }
  update(model, l.at(1));
  return model;
}

Value Marshal<torch::nn::Sequential>::changed(const Value&, const torch::nn::Sequential& model) {
  return Value(kata_wire::named(model->named_parameters()));
}

void Marshal<torch::nn::Sequential>::update(torch::nn::Sequential& model, const Value& v) {
  torch::NoGradGuard no_grad;
  auto params = model->named_parameters();
  for (const auto& entry : v.as_list()) {
    const List& p = entry.as_list();
    torch::Tensor* mine = params.find(p.at(0).as_string());
    if (!mine) throw ProtocolError("unknown parameter");
    const torch::Tensor& value = p.at(1).as_tensor();
    if (mine->sizes() != value.sizes()) throw ProtocolError("a parameter of the wrong shape");
    mine->set_data(value.detach().clone());
  }
}

}  // namespace kata_remote
