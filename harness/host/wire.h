// What crosses the trust boundary between the checker and the worker: values (none, bool, integer, double,
// string, tensor, list) in length-prefixed frames. Decoding treats every byte as hostile: a malformed
// frame is a ProtocolError, never a crash or an unbounded allocation.
#pragma once

#include <torch/ordered_dict.h>
#include <torch/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace kata_wire {

struct Value;
using List = std::vector<Value>;

struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, torch::Tensor, List> v;

  Value() = default;
  Value(bool b) : v(b) {}
  Value(int64_t i) : v(i) {}
  Value(int i) : v(int64_t{i}) {}
  Value(double d) : v(d) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(torch::Tensor t) : v(std::move(t)) {}
  Value(List l) : v(std::move(l)) {}

  bool is_none() const { return std::holds_alternative<std::monostate>(v); }
  // Each throws ProtocolError when the value holds something else.
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;
  const torch::Tensor& as_tensor() const;
  torch::Tensor& as_tensor();
  const List& as_list() const;
  List& as_list();
};

struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Largest frame either side accepts.
constexpr uint64_t kMaxFrameBytes = 1ULL << 30;

// Every tensor in a value, depth first: the order in which both sides number the tensors of a call (the
// checker's inputs and the worker's leaves must line up, so there is only this one way to walk a value).
std::vector<torch::Tensor*> tensors_in(Value& value);

// [[name, tensor], ...]: how a module's parameters and buffers travel.
List named(const torch::OrderedDict<std::string, torch::Tensor>& tensors);

std::string encode(const Value& value);
Value decode(const std::string& bytes);

// Writes one frame; false when the other side is gone.
bool write_frame(int fd, const Value& value);
// Reads one frame, blocking; throws ProtocolError at end of stream or on a malformed frame.
Value read_frame(int fd);

// Accumulates bytes from a non-blocking fd until a whole frame is there.
class FrameReader {
 public:
  // Reads what is available. Returns false at end of stream or on error.
  bool fill(int fd);
  // The next complete frame, if any (throws ProtocolError on a malformed one).
  bool next(Value& out);

 private:
  std::string buffer_;
};

}  // namespace kata_wire
