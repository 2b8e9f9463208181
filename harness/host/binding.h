// How an exercise's contract crosses the trust boundary. Each exercise has one short binding file, built
// twice: into the checker (KATA_CHECKER_SIDE), where it defines the contract's functions as calls to the
// worker, and into the learner's shared object (KATA_WORKER_SIDE), where it serves those calls with the
// learner's code. The hidden tests call kata::causal_attention(...) as if it were local.
//
//   KATA_BIND_FUNCTION(torch::Tensor, causal_attention,
//                      (const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v), (q, k, v))
//   KATA_BIND_MODULE(DecoderBlock, (int64_t d_model, int64_t n_heads, int64_t d_ff), (d_model, n_heads, d_ff))
//   KATA_BIND_METHOD(DecoderBlock, torch::Tensor, forward, (const torch::Tensor& x), (x))
//   KATA_BIND_STRUCT(kata::TrainConfig, c.steps, c.batch_size, c.lr)   // every field, or it does not compile
//
// Tensors keep their strides, dtype and requires_grad; gradients flow back through the worker (it keeps
// the graph of each call until the checker's backward asks for it); tensors the learner's code changed in
// place, and models it trained, are written back into the checker's arguments.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "wire.h"

namespace kata_remote {

using kata_wire::List;
using kata_wire::ProtocolError;
using kata_wire::Value;

// ---- Marshalling: Marshal<T>::to(x) -> Value, Marshal<T>::from(Value) -> T, and after a call,
// Marshal<T>::changed(before, x) -> Value (none when unchanged) / Marshal<T>::update(x, Value).

template <class T, class = void>
struct Marshal;

template <class T>
struct Scalar {
  static Value to(const T& x) { return Value(x); }
  static T from(const Value& v);
  static Value changed(const Value&, const T&) { return Value(); }
  static void update(T&, const Value&) {}
};
template <>
inline bool Scalar<bool>::from(const Value& v) {
  return v.as_bool();
}
template <>
inline int64_t Scalar<int64_t>::from(const Value& v) {
  return v.as_int();
}
template <>
inline double Scalar<double>::from(const Value& v) {
  return v.as_double();
}
template <>
inline std::string Scalar<std::string>::from(const Value& v) {
  return v.as_string();
}

template <>
struct Marshal<bool> : Scalar<bool> {};
template <>
struct Marshal<int64_t> : Scalar<int64_t> {};
template <>
struct Marshal<double> : Scalar<double> {};
template <>
struct Marshal<std::string> : Scalar<std::string> {};
template <>
struct Marshal<int> {
  static Value to(int x) { return Value(int64_t{x}); }
  static int from(const Value& v) { return static_cast<int>(v.as_int()); }
  static Value changed(const Value&, int) { return Value(); }
  static void update(int&, const Value&) {}
};

bool same_bits(const torch::Tensor& a, const torch::Tensor& b);
// Into a checker-side argument, the values the learner's code left in it (no autograd history).
void overwrite(const torch::Tensor& target, const torch::Tensor& values);

template <>
struct Marshal<torch::Tensor> {
  static Value to(const torch::Tensor& t) { return Value(t); }  // undefined travels as none
  static torch::Tensor from(const Value& v) { return v.is_none() ? torch::Tensor() : v.as_tensor(); }
  static Value changed(const Value& before, const torch::Tensor& t) {
    if (!t.defined() || before.is_none()) return Value();
    return same_bits(before.as_tensor(), t) ? Value() : Value(t.detach());
  }
  static void update(const torch::Tensor& t, const Value& v) {
    if (!v.is_none() && t.defined()) overwrite(t, v.as_tensor());
  }
};

template <class T>
struct Marshal<std::vector<T>> {
  static Value to(const std::vector<T>& xs) {
    List l;
    for (const auto& x : xs) l.push_back(Marshal<T>::to(x));
    return Value(std::move(l));
  }
  static std::vector<T> from(const Value& v) {
    std::vector<T> xs;
    for (const auto& item : v.as_list()) xs.push_back(Marshal<T>::from(item));
    return xs;
  }
  static Value changed(const Value&, const std::vector<T>&) { return Value(); }
  static void update(std::vector<T>&, const Value&) {}
};

template <class... Ts>
struct Marshal<std::tuple<Ts...>> {
  static Value to(const std::tuple<Ts...>& t) {
    return std::apply([](const auto&... x) { return Value(List{Marshal<std::decay_t<decltype(x)>>::to(x)...}); }, t);
  }
  static std::tuple<Ts...> from(const Value& v) {
    const List& l = v.as_list();
    if (l.size() != sizeof...(Ts)) throw ProtocolError("tuple of the wrong length");
    return unpack(l, std::index_sequence_for<Ts...>{});
  }
  static Value changed(const Value&, const std::tuple<Ts...>&) { return Value(); }
  static void update(std::tuple<Ts...>&, const Value&) {}

 private:
  template <size_t... I>
  static std::tuple<Ts...> unpack(const List& l, std::index_sequence<I...>) {
    return std::tuple<Ts...>{Marshal<Ts>::from(l[I])...};
  }
};

// A plain struct, field by field: KATA_BIND_STRUCT specialises Fields<T> with a tie of every field. The
// sizes of the listed fields must add up to the struct's size, so a field added to the contract and not
// to the binding stops the build instead of being silently dropped.
template <class T>
struct Fields;

template <class Tuple>
struct Decayed;
template <class... R>
struct Decayed<std::tuple<R...>> {
  using type = std::tuple<std::decay_t<R>...>;
};
template <class T>
using FieldValues = typename Decayed<decltype(Fields<T>::tie(std::declval<T&>()))>::type;

template <class T>
struct Marshal<T, std::void_t<decltype(Fields<T>::tie(std::declval<T&>()))>> {
  static Value to(const T& x) { return Marshal<FieldValues<T>>::to(FieldValues<T>(Fields<T>::tie(const_cast<T&>(x)))); }
  static T from(const Value& v) {
    T x{};
    Fields<T>::tie(x) = Marshal<FieldValues<T>>::from(v);
    return x;
  }
  static Value changed(const Value&, const T&) { return Value(); }
  static void update(T&, const Value&) {}
};

// torch::nn::Sequential travels as its layers (type and options) and parameters; the worker builds the
// same model, and what the learner's code did to its parameters comes back. Layers: Linear, Tanh, ReLU,
// GELU, Sigmoid, LayerNorm.
template <>
struct Marshal<torch::nn::Sequential> {
  static Value to(const torch::nn::Sequential& model);
  static torch::nn::Sequential from(const Value& v);
  static Value changed(const Value& before, const torch::nn::Sequential& model);
  static void update(torch::nn::Sequential& model, const Value& v);
};

// ---- The checker side: calls into the worker.

// The worker's answer to a call: the result, and what the learner's code changed in the arguments.
struct Reply {
  Value result;
  List changed;  // one per argument
};
// Sends a call and waits for its reply, within the run's limits. Tensors in `args` that require grad get
// gradients through the worker when the result is back-propagated. Throws WorkerError when the worker
// died, hung, ran out of memory or answered nonsense, and LearnerError when the learner's code threw.
// `arg_names` is the binding's argument list as written, "(q, k, v)": a failure names the call and its
// inputs with it.
Reply call(const std::string& name, const char* arg_names, List args);

struct LearnerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class A>
Value to_value(const A& a) {
  return Marshal<std::decay_t<A>>::to(a);
}

// The sides pass a call's arguments as std::forward_as_tuple(...), which an empty argument list fits too.
template <class... A>
List to_values(const std::tuple<A&...>& args) {
  return std::apply([](const A&... a) { return List{to_value(a)...}; }, args);
}

// A reply that does not decode is the worker's doing: that worker is ended and the check fails as a
// runtime error.
[[noreturn]] void malformed_reply(const std::string& what);
template <class F>
decltype(auto) decoding(F&& f) {
  try {
    return f();
  } catch (const ProtocolError& e) {
    malformed_reply(e.what());
  }
}

// Writes what the worker reports as changed into the caller's arguments, from `first` on in `changed`.
template <class... A>
void update_arguments(const std::tuple<A&...>& args, const List& changed, size_t first) {
  if (changed.size() != first + sizeof...(A)) throw ProtocolError("the worker's reply lists the wrong arguments");
  std::apply(
      [&](A&... a) {
        size_t i = first;
        (Marshal<std::decay_t<A>>::update(const_cast<std::decay_t<A>&>(a), changed[i++]), ...);
      },
      args);
}

template <class R, class... A>
R call_function(const std::string& name, const char* arg_names, std::tuple<A&...> args) {
  return decoding([&]() -> R {
    Reply reply = call(name, arg_names, to_values(args));
    update_arguments(args, reply.changed, 0);
    if constexpr (!std::is_void_v<R>) return Marshal<R>::from(reply.result);
  });
}

// The checker's stand-in for a learner's module: constructed in the worker, mirrored here with the same
// parameter and buffer names, so hidden tests load, convert and read them as usual; each method call
// sends the current values and mode (train() or eval()), gets gradients for them back, and the values of
// both as the method left them (an update in place, such as a LoRA merge, shows here as it does there).
void construct(torch::nn::Module& self, const std::string& name, const char* arg_names, List args);
Value module_ref(const torch::nn::Module& self);
void update_module(torch::nn::Module& self, const Value& changed);

template <class R, class... A>
R call_method(torch::nn::Module& self, const std::string& name, const char* arg_names, std::tuple<A&...> args) {
  return decoding([&]() -> R {
    List values = to_values(args);
    values.insert(values.begin(), module_ref(self));
    Reply reply = call(name, arg_names, std::move(values));
    update_arguments(args, reply.changed, 1);
    update_module(self, reply.changed[0]);
    if constexpr (!std::is_void_v<R>) return Marshal<R>::from(reply.result);
  });
}

// ---- The worker side: what the learner's shared object registers.

// Runs one call: args decoded, the learner's code run, the result and the changed arguments encoded.
using Handler = std::function<Value(const List& args, List& changed)>;
void register_handler(const std::string& name, Handler handler);

template <class A>
using Held = std::decay_t<A>;

// A copy of `v` whose tensors are copies too. The learner's code gets tensors that share storage with the
// decoded arguments, so what it writes into them in place is only seen against a copy taken before the call.
Value snapshot(const Value& v);

template <class R, class F, class... A, size_t... I>
Value invoke(const F& f, const List& args, List& changed, std::index_sequence<I...>) {
  if (args.size() != sizeof...(A)) throw ProtocolError("wrong number of arguments");
  std::tuple<Held<A>...> held{Marshal<Held<A>>::from(args[I])...};
  const List before{snapshot(args[I])...};
  Value result;
  if constexpr (std::is_void_v<R>) {
    f(std::get<I>(held)...);
  } else {
    result = Marshal<std::decay_t<R>>::to(f(std::get<I>(held)...));
  }
  changed = List{Marshal<Held<A>>::changed(before[I], std::get<I>(held))...};
  return result;
}

template <class R, class... A>
struct FunctionRegistration {
  FunctionRegistration(const std::string& name, R (*f)(A...)) {
    register_handler(name, [f](const List& args, List& changed) {
      return invoke<R, decltype(f), A...>(f, args, changed, std::index_sequence_for<A...>{});
    });
  }
};

// The module table of the worker: objects constructed for the checker, by id.
int64_t keep_module(std::shared_ptr<torch::nn::Module> module);
// The module a reference names, with the checker's current parameter and buffer values set into it.
std::shared_ptr<torch::nn::Module> resolve_module(const Value& ref);
// The module's parameters and buffers, as the checker mirrors them.
Value describe_module(int64_t id, const torch::nn::Module& module);
// The values of the module's registered parameters and buffers, by name, as a method left them.
Value module_values(const torch::nn::Module& module);

template <class Impl, class... A>
struct ModuleRegistration {
  explicit ModuleRegistration(const std::string& name) {
    register_handler(name, [](const List& args, List& changed) {
      auto build = [](const Held<A>&... a) { return std::make_shared<Impl>(a...); };
      auto module = invoke_build(build, args, std::index_sequence_for<A...>{});
      changed = List(args.size());
      return describe_module(keep_module(module), *module);
    });
  }
  template <class B, size_t... I>
  static std::shared_ptr<Impl> invoke_build(B&& build, const List& args, std::index_sequence<I...>) {
    if (args.size() != sizeof...(A)) throw ProtocolError("wrong number of arguments");
    return build(Marshal<Held<A>>::from(args[I])...);
  }
};

template <class Impl, class R, class... A>
struct MethodRegistration {
  MethodRegistration(const std::string& name, R (Impl::*method)(A...)) {
    register_handler(name, [method](const List& args, List& changed) {
      if (args.empty()) throw ProtocolError("a method call without its module");
      auto module = std::dynamic_pointer_cast<Impl>(resolve_module(args[0]));
      if (!module) throw ProtocolError("a method call on a module of another type");
      auto call = [&](A... a) -> R { return ((*module).*method)(std::forward<A>(a)...); };
      List rest(args.begin() + 1, args.end()), rest_changed;
      Value result = invoke<R, decltype(call), A...>(call, rest, rest_changed, std::index_sequence_for<A...>{});
      changed = List{module_values(*module)};
      changed.insert(changed.end(), rest_changed.begin(), rest_changed.end());
      return result;
    });
  }
};

}  // namespace kata_remote

// KATA_BIND_STRUCT(kata::TrainConfig, c.steps, c.batch_size, ...): `c` names the struct in the field list.
#define KATA_BIND_STRUCT(T, ...)                                  \
  template <>                                                     \
  struct kata_remote::Fields<T> {                                 \
    static auto tie(T& c) { return std::tie(__VA_ARGS__); }       \
  };                                                              \
  static_assert(sizeof(T) == sizeof(kata_remote::FieldValues<T>), \
                "the binding of " #T " does not list every field of the contract's struct")

#if defined(KATA_CHECKER_SIDE)

#define KATA_BIND_FUNCTION(R, name, params, args) \
  R kata::name params { return kata_remote::call_function<R>(#name, #args, std::forward_as_tuple args); }
#define KATA_BIND_MODULE(Name, params, args)                                                         \
  kata::Name##Impl::Name##Impl params {                                                              \
    kata_remote::construct(*this, #Name, #args, kata_remote::to_values(std::forward_as_tuple args)); \
  }
#define KATA_BIND_METHOD(Name, R, method, params, args)                                              \
  R kata::Name##Impl::method params {                                                                \
    return kata_remote::call_method<R>(*this, #Name "." #method, #args, std::forward_as_tuple args); \
  }

#elif defined(KATA_WORKER_SIDE)

#define KATA_BIND_FUNCTION(R, name, params, args) \
  static const kata_remote::FunctionRegistration kata_bind_##name(#name, &kata::name);
#define KATA_BIND_MODULE(Name, params, args)                               \
  template <class... A>                                                    \
  static auto kata_module_##Name(void (*)(A...)) {                         \
    return kata_remote::ModuleRegistration<kata::Name##Impl, A...>(#Name); \
  }                                                                        \
  static const auto kata_bind_##Name = kata_module_##Name(static_cast<void(*) params>(nullptr));
#define KATA_BIND_METHOD(Name, R, method, params, args)                                       \
  static const kata_remote::MethodRegistration kata_bind_##Name##_##method(#Name "." #method, \
                                                                           &kata::Name##Impl::method);

#endif  // neither: the runtime (harness/host), which defines what the sides call
