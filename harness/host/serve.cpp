// The worker's side: runs inside the jail, loads the learner's shared object, and answers the checker's
// calls with the learner's code. Nothing here is trusted by the checker: it only ever sends values back.
#include <dlfcn.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <map>

#include "binding.h"
#include "session.h"

namespace kata_remote {
namespace {

std::map<std::string, Handler>& handlers() {
  static std::map<std::string, Handler> h;
  return h;
}

std::map<int64_t, std::shared_ptr<torch::nn::Module>>& modules() {
  static std::map<int64_t, std::shared_ptr<torch::nn::Module>> m;
  return m;
}

// The autograd graph of a call, kept until the checker back-propagates through it or lets it go.
struct Graph {
  std::vector<torch::Tensor> outputs, leaves;
};
std::map<int64_t, Graph>& graphs() {
  static std::map<int64_t, Graph> g;
  return g;
}

bool is_module_ref(const Value& v) {
  auto* l = std::get_if<List>(&v.v);
  return l && l->size() == 5 && std::holds_alternative<std::string>((*l)[0].v) && (*l)[0].as_string() == "module";
}

// A module argument carries the checker's current parameter and buffer values and its mode (train() or
// eval()): set them into the module, and put the module's own parameters in their place, so that they are
// the leaves gradients flow to.
void bind_module(Value& ref) {
  List& r = ref.as_list();
  auto it = modules().find(r[1].as_int());
  if (it == modules().end()) throw ProtocolError("unknown module");
  torch::NoGradGuard no_grad;
  auto params = it->second->named_parameters();
  for (auto& entry : r[2].as_list()) {
    List& pair = entry.as_list();
    torch::Tensor* p = params.find(pair.at(0).as_string());
    if (!p) throw ProtocolError("unknown parameter");
    bool trainable = pair.at(1).as_tensor().requires_grad();
    p->set_data(pair.at(1).as_tensor().detach());
    p->requires_grad_(trainable);
    pair.at(1) = Value(*p);
  }
  auto buffers = it->second->named_buffers();
  for (auto& entry : r[3].as_list()) {
    List& pair = entry.as_list();
    torch::Tensor* b = buffers.find(pair.at(0).as_string());
    if (!b) throw ProtocolError("unknown buffer");
    b->set_data(pair.at(1).as_tensor().detach());
  }
  it->second->train(r[4].as_bool());
}

int64_t next_id() {
  static int64_t id = 0;
  return ++id;
}

Value ok(List rest) {
  rest.insert(rest.begin(), Value("ok"));
  return Value(std::move(rest));
}

Value call(const std::string& name, bool grad_enabled, List args) {
  auto h = handlers().find(name);
  if (h == handlers().end()) throw ProtocolError("your file does not provide " + name);
  for (auto& a : args)
    if (is_module_ref(a)) bind_module(a);
  std::vector<torch::Tensor*> inputs;
  for (auto& a : args)
    for (auto* t : kata_wire::tensors_in(a)) inputs.push_back(t);
  Graph graph;
  for (auto* t : inputs)
    if (t->requires_grad()) graph.leaves.push_back(*t);

  torch::AutoGradMode mode(grad_enabled);
  List changed;
  Value result = h->second(args, changed);
  std::vector<torch::Tensor*> outputs = kata_wire::tensors_in(result);
  for (auto* t : outputs)
    if (t->requires_grad()) graph.outputs.push_back(*t);
  Value id;
  if (!graph.outputs.empty() && !graph.leaves.empty()) {
    id = Value(next_id());
    graphs()[id.as_int()] = std::move(graph);
  }
  return ok({std::move(result), Value(std::move(changed)), std::move(id)});
}

Value backward(int64_t id, const List& grads) {
  auto it = graphs().find(id);
  if (it == graphs().end()) throw ProtocolError("unknown graph");
  Graph graph = std::move(it->second);
  graphs().erase(it);
  if (grads.size() != graph.outputs.size()) throw ProtocolError("wrong number of output gradients");
  std::vector<torch::Tensor> outputs, grad_outputs;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].is_none()) continue;
    const auto& g = grads[i].as_tensor();
    if (g.sizes() != graph.outputs[i].sizes()) throw ProtocolError("an output gradient of the wrong shape");
    outputs.push_back(graph.outputs[i]);
    grad_outputs.push_back(g.detach().to(graph.outputs[i].scalar_type()));
  }
  List result(graph.leaves.size());
  if (!outputs.empty()) {
    auto leaf_grads = torch::autograd::grad(outputs, graph.leaves, grad_outputs, /*retain_graph=*/false,
                                            /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t i = 0; i < leaf_grads.size(); ++i) result[i] = Value(leaf_grads[i]);
  }
  return ok({Value(std::move(result))});
}

Value load(const std::string& path) {
  if (!dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) return Value(List{Value("error"), Value(dlerror())});
  return ok({});
}

bool allocation_failure(const std::string& what) { return what.find("can't allocate memory") != std::string::npos; }

// Calls and backward passes carry, second, the graphs the checker no longer needs.
void release(const Value& ids) {
  for (const auto& id : ids.as_list()) graphs().erase(id.as_int());
}

Value handle(Value& request) {
  List& r = request.as_list();
  const std::string& op = r.at(0).as_string();
  if (op == "load") return load(r.at(1).as_string());
  if (op == "call") {
    release(r.at(1));
    return call(r.at(2).as_string(), r.at(3).as_bool(), std::move(r.at(4).as_list()));
  }
  if (op == "backward") {
    release(r.at(1));
    return backward(r.at(2).as_int(), r.at(3).as_list());
  }
  throw ProtocolError("unknown request " + op);
}

// The learner's exceptions become answers: their message, and whether the allocator ran out of memory.
Value answer(Value& request) {
  try {
    return handle(request);
  } catch (const std::bad_alloc&) {
    return Value(List{Value("error"), Value("out_of_memory"), Value("std::bad_alloc")});
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    return Value(List{Value("error"), Value(allocation_failure(what) ? "out_of_memory" : "exception"), Value(what)});
  } catch (const std::exception& e) {
    return Value(List{Value("error"), Value("exception"), Value(std::string(e.what()))});
  } catch (...) {
    return Value(List{Value("error"), Value("exception"), Value("an exception that is not a std::exception")});
  }
}

}  // namespace

void register_handler(const std::string& name, Handler handler) { handlers()[name] = std::move(handler); }

int64_t keep_module(std::shared_ptr<torch::nn::Module> module) {
  int64_t id = next_id();
  modules()[id] = std::move(module);
  return id;
}

std::shared_ptr<torch::nn::Module> resolve_module(const Value& ref) {
  auto it = modules().find(ref.as_list().at(1).as_int());
  if (it == modules().end()) throw ProtocolError("unknown module");
  return it->second;
}

Value module_values(const torch::nn::Module& module) {
  List values = kata_wire::named(module.named_parameters());
  List buffers = kata_wire::named(module.named_buffers());
  values.insert(values.end(), buffers.begin(), buffers.end());
  return Value(std::move(values));
}

Value describe_module(int64_t id, const torch::nn::Module& module) {
  List params;
  for (const auto& p : module.named_parameters())
    params.push_back(Value(List{Value(p.key()), Value(p.value()), Value(p.value().requires_grad())}));
  return Value(List{Value(id), Value(std::move(params)), Value(kata_wire::named(module.named_buffers()))});
}

void serve(int rpc_fd, const kata::Protections& protections) {
  kata_wire::write_frame(rpc_fd, Value(List{Value("ready"), Value(int64_t{protections.bits()})}));
  for (;;) {
    Value request;
    try {
      request = kata_wire::read_frame(rpc_fd);
    } catch (const ProtocolError&) {
      _exit(0);  // the checker is done (or gone)
    }
    Value reply = answer(request);
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    if (!kata_wire::write_frame(rpc_fd, reply)) _exit(0);
  }
}

// Address space already mapped (LibTorch maps far more than it touches), from /proc/self/status.
rlim_t mapped_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  while (f && std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
  if (f) std::fclose(f);
  return static_cast<rlim_t>(kb) * 1024;
}

void worker_main(int rpc_fd, const kata::JailSpec& jail, const Limits& limits) {
  char go = 0;
  if (read(rpc_fd, &go, 1) != 1) _exit(0);
  kata::Protections protections = kata::enter_jail(jail, nullptr);
  protections.cgroup = go == 1;
  // CPU counted from here: a fresh worker has already spent some loading LibTorch.
  rusage used{};
  getrusage(RUSAGE_SELF, &used);
  rlim_t cpu = static_cast<rlim_t>(std::ceil(limits.cpu_seconds)) + used.ru_utime.tv_sec + used.ru_stime.tv_sec;
  rlimit cpu_limit{cpu, cpu + 1};
  setrlimit(RLIMIT_CPU, &cpu_limit);
  // The cgroup bounds what is touched; this turns a reservation far beyond the limit into a failed
  // allocation (a memory verdict) instead of a success that is never touched.
  rlim_t as = mapped_bytes() + static_cast<rlim_t>(limits.memory_bytes) + (2ULL << 30);
  rlimit as_limit{as, as};
  setrlimit(RLIMIT_AS, &as_limit);
  torch::set_num_threads(1);
  signal(SIGPIPE, SIG_DFL);
  // When the learner's code calls exit(), end at once with its status: registered after LibTorch's static
  // objects, this runs before their destructors, which on a loaded machine take seconds of the learner's
  // wall time (then a file that exits in every check would get time_limit_exceeded, not runtime_error).
  on_exit([](int status, void*) {
    fflush(nullptr);
    _exit(status);
  }, nullptr);
  serve(rpc_fd, protections);
}

}  // namespace kata_remote
