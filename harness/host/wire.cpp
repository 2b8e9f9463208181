#include "wire.h"

#include <poll.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kata_wire {
namespace {

enum Tag : uint8_t { kNone, kBool, kInt, kDouble, kString, kTensor, kList };

constexpr int kMaxDepth = 32;
constexpr int64_t kMaxDims = 16;

const torch::ScalarType kDtypes[] = {torch::kFloat32, torch::kFloat64, torch::kFloat16, torch::kBFloat16, torch::kInt64,
                                     torch::kInt32,   torch::kInt16,   torch::kInt8,    torch::kUInt8,    torch::kBool};

bool known_dtype(int code) {
  for (auto d : kDtypes)
    if (static_cast<int>(d) == code) return true;
  return false;
}

template <class T>
void put(std::string& out, T x) {
  out.append(reinterpret_cast<const char*>(&x), sizeof x);
}

// Elements of storage a view with these sizes and strides reaches: 0 when empty.
int64_t storage_span(c10::IntArrayRef sizes, c10::IntArrayRef strides) {
  int64_t span = 1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return 0;
    span += (sizes[d] - 1) * strides[d];
  }
  return span;
}

void encode_tensor(std::string& out, const torch::Tensor& tensor) {
  // Sparse, quantised or oddly strided tensors travel as a dense copy; ordinary views keep their strides
  // (a check may hand over a non-contiguous view on purpose).
  torch::Tensor t = tensor.detach();
  bool plain =
      t.layout() == torch::kStrided && known_dtype(static_cast<int>(t.scalar_type())) && !t.is_conj() && !t.is_neg();
  for (auto s : t.strides()) plain = plain && s >= 0;
  if (!plain) t = t.to_dense().contiguous();
  put<uint8_t>(out, static_cast<uint8_t>(t.scalar_type()));
  put<uint8_t>(out, tensor.requires_grad());
  put<uint8_t>(out, static_cast<uint8_t>(t.dim()));
  for (auto s : t.sizes()) put<int64_t>(out, s);
  for (auto s : t.strides()) put<int64_t>(out, s);
  uint64_t bytes = static_cast<uint64_t>(storage_span(t.sizes(), t.strides())) * t.element_size();
  put<uint64_t>(out, bytes);
  if (bytes) out.append(static_cast<const char*>(t.data_ptr()), bytes);
}

void encode_into(std::string& out, const Value& value) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          put<uint8_t>(out, kNone);
        } else if constexpr (std::is_same_v<T, bool>) {
          put<uint8_t>(out, kBool);
          put<uint8_t>(out, x);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          put<uint8_t>(out, kInt);
          put<int64_t>(out, x);
        } else if constexpr (std::is_same_v<T, double>) {
          put<uint8_t>(out, kDouble);
          put<double>(out, x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          put<uint8_t>(out, kString);
          put<uint64_t>(out, x.size());
          out += x;
        } else if constexpr (std::is_same_v<T, torch::Tensor>) {
          if (!x.defined()) return put<uint8_t>(out, kNone);
          put<uint8_t>(out, kTensor);
          encode_tensor(out, x);
        } else {
          put<uint8_t>(out, kList);
          put<uint64_t>(out, x.size());
          for (const auto& item : x) encode_into(out, item);
        }
      },
      value.v);
}

class Decoder {
 public:
  explicit Decoder(const std::string& bytes) : data_(bytes.data()), left_(bytes.size()) {}

  Value value(int depth) {
    if (depth > kMaxDepth) throw ProtocolError("values nested too deeply");
    switch (get<uint8_t>()) {
      case kNone:
        return Value();
      case kBool:
        return Value(get<uint8_t>() != 0);
      case kInt:
        return Value(get<int64_t>());
      case kDouble:
        return Value(get<double>());
      case kString: {
        uint64_t n = length(1);
        std::string s(data_, n);
        skip(n);
        return Value(std::move(s));
      }
      case kTensor:
        return Value(tensor());
      case kList: {
        uint64_t n = length(1);  // every item takes at least one byte
        List items;
        items.reserve(n);
        for (uint64_t i = 0; i < n; ++i) items.push_back(value(depth + 1));
        return Value(std::move(items));
      }
      default:
        throw ProtocolError("unknown value tag");
    }
  }

  bool done() const { return left_ == 0; }

 private:
  template <class T>
  T get() {
    if (left_ < sizeof(T)) throw ProtocolError("truncated frame");
    T x;
    std::memcpy(&x, data_, sizeof x);
    skip(sizeof x);
    return x;
  }
  void skip(uint64_t n) {
    data_ += n;
    left_ -= n;
  }
  // A count of items of at least `unit` bytes each that the rest of the frame can hold.
  uint64_t length(uint64_t unit) {
    uint64_t n = get<uint64_t>();
    if (n > left_ / unit) throw ProtocolError("length beyond the frame");
    return n;
  }

  torch::Tensor tensor() {
    int code = get<uint8_t>();
    if (!known_dtype(code)) throw ProtocolError("unknown tensor dtype");
    auto dtype = static_cast<torch::ScalarType>(code);
    bool requires_grad = get<uint8_t>() != 0;
    int64_t dims = get<uint8_t>();
    if (dims > kMaxDims) throw ProtocolError("too many tensor dimensions");
    std::vector<int64_t> sizes(dims), strides(dims);
    for (auto& s : sizes) s = get<int64_t>();
    for (auto& s : strides) s = get<int64_t>();
    // The span, computed without overflow, must match the bytes that follow exactly.
    const uint64_t element = c10::elementSize(dtype);
    uint64_t span = 1;
    for (int64_t d = 0; d < dims; ++d) {
      if (sizes[d] < 0 || strides[d] < 0) throw ProtocolError("negative tensor size or stride");
      if (sizes[d] == 0) span = 0;
    }
    for (int64_t d = 0; d < dims && span > 0; ++d) {
      uint64_t reach = 0;
      if (__builtin_mul_overflow(static_cast<uint64_t>(sizes[d] - 1), static_cast<uint64_t>(strides[d]), &reach) ||
          __builtin_add_overflow(span, reach, &span) || span > kMaxFrameBytes)
        throw ProtocolError("tensor larger than a frame");
    }
    uint64_t bytes = get<uint64_t>();
    if (bytes != span * element || bytes > left_) throw ProtocolError("tensor bytes do not match its shape");
    auto storage = torch::empty({static_cast<int64_t>(span)}, torch::TensorOptions().dtype(dtype));
    if (bytes) std::memcpy(storage.data_ptr(), data_, bytes);
    skip(bytes);
    auto t = storage.as_strided(sizes, strides);
    if (requires_grad && t.is_floating_point()) t = t.detach().requires_grad_(true);
    return t;
  }

  const char* data_;
  uint64_t left_;
};

// The checker's end is non-blocking: a frame larger than the socket's buffer (a [2, 30000] float64 tensor)
// waits for the worker to read, up to kWriteStallMs without progress, then counts as a lost worker.
constexpr int kWriteStallMs = 10000;

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, kWriteStallMs) <= 0 || (p.revents & (POLLERR | POLLHUP))) return false;
      continue;
    }
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

#define KATA_WIRE_AS(name, type, what)                            \
  type Value::name() const {                                      \
    if (auto* x = std::get_if<std::decay_t<type>>(&v)) return *x; \
    throw ProtocolError("expected " what);                        \
  }
KATA_WIRE_AS(as_bool, bool, "a bool")
KATA_WIRE_AS(as_double, double, "a double")
KATA_WIRE_AS(as_string, const std::string&, "a string")
KATA_WIRE_AS(as_tensor, const torch::Tensor&, "a tensor")
KATA_WIRE_AS(as_list, const List&, "a list")
#undef KATA_WIRE_AS

int64_t Value::as_int() const {
  if (auto* x = std::get_if<int64_t>(&v)) return *x;
  throw ProtocolError("expected an integer");
}
torch::Tensor& Value::as_tensor() { return const_cast<torch::Tensor&>(std::as_const(*this).as_tensor()); }
List& Value::as_list() { return const_cast<List&>(std::as_const(*this).as_list()); }

std::vector<torch::Tensor*> tensors_in(Value& value) {
  std::vector<torch::Tensor*> found;
  if (auto* t = std::get_if<torch::Tensor>(&value.v)) found.push_back(t);
  if (auto* l = std::get_if<List>(&value.v))
    for (auto& item : *l)
      for (auto* t : tensors_in(item)) found.push_back(t);
  return found;
}

List named(const torch::OrderedDict<std::string, torch::Tensor>& tensors) {
  List l;
  for (const auto& t : tensors) l.push_back(Value(List{Value(t.key()), Value(t.value())}));
  return l;
}

std::string encode(const Value& value) {
  std::string out;
  encode_into(out, value);
  return out;
}

Value decode(const std::string& bytes) {
  Decoder d(bytes);
  Value v = d.value(0);
  if (!d.done()) throw ProtocolError("trailing bytes in a frame");
  return v;
}

bool write_frame(int fd, const Value& value) {
  std::string body = encode(value);
  uint64_t n = body.size();
  return write_all(fd, reinterpret_cast<const char*>(&n), sizeof n) && write_all(fd, body.data(), body.size());
}

Value read_frame(int fd) {
  auto read_exact = [fd](char* p, size_t n) {
    while (n > 0) {
      ssize_t r = read(fd, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) throw ProtocolError("the other side closed the connection");
      p += r;
      n -= static_cast<size_t>(r);
    }
  };
  uint64_t n = 0;
  read_exact(reinterpret_cast<char*>(&n), sizeof n);
  if (n > kMaxFrameBytes) throw ProtocolError("frame too large");
  std::string body(n, '\0');
  read_exact(body.data(), n);
  return decode(body);
}

bool FrameReader::fill(int fd) {
  char buf[1 << 16];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
      buffer_.append(buf, static_cast<size_t>(r));
      if (buffer_.size() > kMaxFrameBytes + sizeof(uint64_t)) return false;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

bool FrameReader::next(Value& out) {
  uint64_t n = 0;
  if (buffer_.size() < sizeof n) return false;
  std::memcpy(&n, buffer_.data(), sizeof n);
  if (n > kMaxFrameBytes) throw ProtocolError("frame too large");
  if (buffer_.size() < sizeof n + n) return false;
  out = decode(buffer_.substr(sizeof n, n));
  buffer_.erase(0, sizeof n + n);
  return true;
}

}  // namespace kata_wire
