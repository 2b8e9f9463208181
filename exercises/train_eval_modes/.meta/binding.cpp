// The train_eval_modes contract across the trust boundary (see harness/host/binding.h).
//
// The contract's model, kata::ProbeNet, is defined in the contract header (both sides build the same one), and the
// learner's functions take it by reference. It travels as its constructor arguments, its parameters, its buffers
// (the batch norm's running statistics, the dropout's draws and the record of how the model was used) and its
// mode; the worker builds the same model from them, and what the learner's code left in all of them (the trained
// parameters, the buffers, the mode) comes back into the checker's model. A reply is decoded as hostile: unknown
// names and wrong shapes are protocol errors.
#include "train_eval_modes.h"

#include "binding.h"

namespace kata_remote {

template <>
struct Marshal<kata::ProbeNet> {
  static Value state(const kata::ProbeNet& model) {
    List params, buffers;
    for (const auto& p : model->named_parameters()) params.push_back(Value(List{Value(p.key()), Value(p.value().detach())}));
    for (const auto& b : model->named_buffers()) buffers.push_back(Value(List{Value(b.key()), Value(b.value().detach())}));
    return Value(List{Value(std::move(params)), Value(std::move(buffers)), Value(model->is_training())});
  }
  static Value to(const kata::ProbeNet& model) {
    return Value(List{Value(model->in_features), Value(model->hidden), Value(model->classes), Value(model->p),
                      Value(model->seed), state(model)});
  }
  // Worker side: the same model, from the checker's description.
  static kata::ProbeNet from(const Value& v) {
    const List& l = v.as_list();
    if (l.size() != 6) throw ProtocolError("a ProbeNet of the wrong shape");
    kata::ProbeNet model(l[0].as_int(), l[1].as_int(), l[2].as_int(), l[3].as_double(), l[4].as_int());
    set(model, l[5], /*replace=*/true);
    return model;
  }
  static Value changed(const Value&, const kata::ProbeNet& model) { return state(model); }
  // Checker side: the values the learner's code left in the model.
  static void update(kata::ProbeNet& model, const Value& v) { set(model, v, /*replace=*/false); }

 private:
  // replace: the tensors themselves are swapped in (dtype included), as on a model being built; otherwise the
  // values are copied into the model's own tensors, which keep their shape and dtype.
  static void set(kata::ProbeNet& model, const Value& v, bool replace) {
    const List& s = v.as_list();
    if (s.size() != 3) throw ProtocolError("a ProbeNet state of the wrong shape");
    torch::NoGradGuard no_grad;
    auto params = model->named_parameters();
    auto buffers = model->named_buffers();
    for (int kind = 0; kind < 2; ++kind) {
      auto& mine = kind == 0 ? params : buffers;
      const List& entries = s[kind].as_list();
      if (entries.size() != mine.size()) throw ProtocolError("a ProbeNet state with the wrong tensors");
      for (const auto& entry : entries) {
        const List& e = entry.as_list();
        if (e.size() != 2) throw ProtocolError("a ProbeNet tensor of the wrong shape");
        torch::Tensor* t = mine.find(e[0].as_string());
        if (!t) throw ProtocolError("a ProbeNet tensor of an unknown name: " + e[0].as_string().substr(0, 40));
        const torch::Tensor& value = e[1].as_tensor();
        if (!value.defined() || value.sizes() != t->sizes())
          throw ProtocolError("a ProbeNet tensor of the wrong shape: " + e[0].as_string().substr(0, 40));
        if (replace) {
          t->set_data(value.detach().clone());
        } else {
          t->copy_(value.detach());
        }
      }
    }
    model->train(s[2].as_bool());
  }
};

}  // namespace kata_remote

KATA_BIND_STRUCT(kata::FitConfig, c.epochs, c.batch_size, c.lr);
KATA_BIND_STRUCT(kata::History, c.train_loss, c.val_loss);

KATA_BIND_FUNCTION(double, train_epoch,
                   (kata::ProbeNet & model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size,
                    double lr),
                   (model, x, y, batch_size, lr))
KATA_BIND_FUNCTION(double, evaluate,
                   (kata::ProbeNet & model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size),
                   (model, x, y, batch_size))
KATA_BIND_FUNCTION(kata::History, fit,
                   (kata::ProbeNet & model, const torch::Tensor& x_train, const torch::Tensor& y_train,
                    const torch::Tensor& x_val, const torch::Tensor& y_val, const kata::FitConfig& cfg),
                   (model, x_train, y_train, x_val, y_val, cfg))
