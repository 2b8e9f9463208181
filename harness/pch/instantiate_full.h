// The full PCH with the template members every learner file would otherwise instantiate at its end, done
// once here. <torch/torch.h>'s headers use the vtables of class templates (Cloneable<...>::clone of every
// module, SingleElementType<...>::equals, ...), and clang defines a used vtable's virtual members at the end
// of each translation unit, not in a PCH, even with -fpch-instantiate-templates: an empty file took 3.5 CPU s with the
// plain full PCH and 1.3-1.6 with this one (2026-12-02, `/usr/bin/time`, 2 runs each). A call that names the member
// non-virtually (or, for a private one, its address in an explicit instantiation) makes the PCH instantiate it; a
// file's object code is the same (the same symbols).
//
// The list: the top-level pending instantiations clang's -ftime-trace shows for an empty file compiled with
// the plain PCH (InstantiateFunction events not nested in another). If a LibTorch update breaks it, the
// build falls back to the plain full.h (cmake/Judge.cmake).
#pragma once

#include "full.h"

namespace kata_pch_instantiate {
inline void use0(const c10::SingleElementType<c10::TypeKind::ListType, c10::ListType>& x, const c10::Type& t) {
  x.c10::SingleElementType<c10::TypeKind::ListType, c10::ListType>::equals(t);
}
inline void use1(const c10::SingleElementType<c10::TypeKind::FutureType, c10::FutureType>& x, const c10::Type& t) {
  x.c10::SingleElementType<c10::TypeKind::FutureType, c10::FutureType>::equals(t);
}
inline void use2(const c10::SingleElementType<c10::TypeKind::RRefType, c10::RRefType>& x, const c10::Type& t) {
  x.c10::SingleElementType<c10::TypeKind::RRefType, c10::RRefType>::equals(t);
}
inline void use3(const torch::nn::Cloneable<torch::nn::ModuleDictImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::ModuleDictImpl>::clone(c10::nullopt);
}
inline void use4(const torch::nn::Cloneable<torch::nn::ParameterDictImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::ParameterDictImpl>::clone(c10::nullopt);
}
inline void use5(const torch::nn::Cloneable<torch::nn::SequentialImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::SequentialImpl>::clone(c10::nullopt);
}
inline void use6(const torch::nn::Cloneable<torch::nn::LinearImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::LinearImpl>::clone(c10::nullopt);
}
inline void use7(const torch::nn::Cloneable<torch::nn::UnflattenImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::UnflattenImpl>::clone(c10::nullopt);
}
inline void use8(const torch::nn::Cloneable<torch::nn::BilinearImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::BilinearImpl>::clone(c10::nullopt);
}
inline void use9(const torch::nn::Cloneable<torch::nn::SoftmaxImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::SoftmaxImpl>::clone(c10::nullopt);
}
inline void use10(const torch::nn::Cloneable<torch::nn::SoftminImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::SoftminImpl>::clone(c10::nullopt);
}
inline void use11(const torch::nn::Cloneable<torch::nn::LogSoftmaxImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::LogSoftmaxImpl>::clone(c10::nullopt);
}
inline void use12(const torch::nn::Cloneable<torch::nn::ThresholdImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::ThresholdImpl>::clone(c10::nullopt);
}
inline void use13(const torch::nn::Cloneable<torch::nn::MultiheadAttentionImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::MultiheadAttentionImpl>::clone(c10::nullopt);
}
inline void use14(const torch::nn::Cloneable<torch::nn::AdaptiveLogSoftmaxWithLossImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::AdaptiveLogSoftmaxWithLossImpl>::clone(c10::nullopt);
}
inline void use15(const torch::nn::Cloneable<torch::nn::Conv1dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::Conv1dImpl>::clone(c10::nullopt);
}
inline void use16(const torch::nn::ConvNdImpl<1, torch::nn::Conv1dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvNdImpl<1, torch::nn::Conv1dImpl>::pretty_print(os);
}
inline void use17(const torch::nn::ConvNdImpl<1, torch::nn::Conv1dImpl>& x) {
  const_cast<torch::nn::ConvNdImpl<1, torch::nn::Conv1dImpl>&>(x)
      .torch::nn::ConvNdImpl<1, torch::nn::Conv1dImpl>::reset();
}
inline void use18(const torch::nn::Cloneable<torch::nn::Conv2dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::Conv2dImpl>::clone(c10::nullopt);
}
inline void use19(const torch::nn::ConvNdImpl<2, torch::nn::Conv2dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvNdImpl<2, torch::nn::Conv2dImpl>::pretty_print(os);
}
inline void use20(const torch::nn::ConvNdImpl<2, torch::nn::Conv2dImpl>& x) {
  const_cast<torch::nn::ConvNdImpl<2, torch::nn::Conv2dImpl>&>(x)
      .torch::nn::ConvNdImpl<2, torch::nn::Conv2dImpl>::reset();
}
inline void use21(const torch::nn::Cloneable<torch::nn::Conv3dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::Conv3dImpl>::clone(c10::nullopt);
}
inline void use22(const torch::nn::ConvNdImpl<3, torch::nn::Conv3dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvNdImpl<3, torch::nn::Conv3dImpl>::pretty_print(os);
}
inline void use23(const torch::nn::ConvNdImpl<3, torch::nn::Conv3dImpl>& x) {
  const_cast<torch::nn::ConvNdImpl<3, torch::nn::Conv3dImpl>&>(x)
      .torch::nn::ConvNdImpl<3, torch::nn::Conv3dImpl>::reset();
}
inline void use24(const torch::nn::Cloneable<torch::nn::ConvTranspose1dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::ConvTranspose1dImpl>::clone(c10::nullopt);
}
inline void use25(const torch::nn::ConvTransposeNdImpl<1, torch::nn::ConvTranspose1dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvTransposeNdImpl<1, torch::nn::ConvTranspose1dImpl>::pretty_print(os);
}
inline void use26(const torch::nn::ConvNdImpl<1, torch::nn::ConvTranspose1dImpl>& x) {
  const_cast<torch::nn::ConvNdImpl<1, torch::nn::ConvTranspose1dImpl>&>(x)
      .torch::nn::ConvNdImpl<1, torch::nn::ConvTranspose1dImpl>::reset();
}
inline void use27(const torch::nn::ConvNdImpl<1, torch::nn::ConvTranspose1dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvNdImpl<1, torch::nn::ConvTranspose1dImpl>::pretty_print(os);
}
inline void use28(const torch::nn::Cloneable<torch::nn::ConvTranspose2dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::ConvTranspose2dImpl>::clone(c10::nullopt);
}
inline void use29(const torch::nn::ConvTransposeNdImpl<2, torch::nn::ConvTranspose2dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvTransposeNdImpl<2, torch::nn::ConvTranspose2dImpl>::pretty_print(os);
}
inline void use30(const torch::nn::ConvNdImpl<2, torch::nn::ConvTranspose2dImpl>& x) {
  const_cast<torch::nn::ConvNdImpl<2, torch::nn::ConvTranspose2dImpl>&>(x)
      .torch::nn::ConvNdImpl<2, torch::nn::ConvTranspose2dImpl>::reset();
}
inline void use31(const torch::nn::ConvNdImpl<2, torch::nn::ConvTranspose2dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvNdImpl<2, torch::nn::ConvTranspose2dImpl>::pretty_print(os);
}
inline void use32(const torch::nn::Cloneable<torch::nn::ConvTranspose3dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::ConvTranspose3dImpl>::clone(c10::nullopt);
}
inline void use33(const torch::nn::ConvTransposeNdImpl<3, torch::nn::ConvTranspose3dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvTransposeNdImpl<3, torch::nn::ConvTranspose3dImpl>::pretty_print(os);
}
inline void use34(const torch::nn::ConvNdImpl<3, torch::nn::ConvTranspose3dImpl>& x) {
  const_cast<torch::nn::ConvNdImpl<3, torch::nn::ConvTranspose3dImpl>&>(x)
      .torch::nn::ConvNdImpl<3, torch::nn::ConvTranspose3dImpl>::reset();
}
inline void use35(const torch::nn::ConvNdImpl<3, torch::nn::ConvTranspose3dImpl>& x, std::ostream& os) {
  x.torch::nn::ConvNdImpl<3, torch::nn::ConvTranspose3dImpl>::pretty_print(os);
}
inline void use36(const torch::nn::Cloneable<torch::nn::EmbeddingImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::EmbeddingImpl>::clone(c10::nullopt);
}
inline void use37(const torch::nn::Cloneable<torch::nn::EmbeddingBagImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::EmbeddingBagImpl>::clone(c10::nullopt);
}
inline void use38(const torch::nn::Cloneable<torch::nn::FoldImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::FoldImpl>::clone(c10::nullopt);
}
inline void use39(const torch::nn::Cloneable<torch::nn::UnfoldImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::UnfoldImpl>::clone(c10::nullopt);
}
inline void use40(const torch::nn::Cloneable<torch::nn::LayerNormImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::LayerNormImpl>::clone(c10::nullopt);
}
inline void use41(const torch::nn::Cloneable<torch::nn::LocalResponseNormImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::LocalResponseNormImpl>::clone(c10::nullopt);
}
inline void use42(const torch::nn::Cloneable<torch::nn::CrossMapLRN2dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::CrossMapLRN2dImpl>::clone(c10::nullopt);
}
inline void use43(const torch::nn::Cloneable<torch::nn::GroupNormImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::GroupNormImpl>::clone(c10::nullopt);
}
inline void use44(const torch::nn::Cloneable<torch::nn::ZeroPad2dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::ZeroPad2dImpl>::clone(c10::nullopt);
}
inline void use45(const torch::nn::Cloneable<torch::nn::FractionalMaxPool2dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::FractionalMaxPool2dImpl>::clone(c10::nullopt);
}
inline void use46(const torch::nn::Cloneable<torch::nn::FractionalMaxPool3dImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::FractionalMaxPool3dImpl>::clone(c10::nullopt);
}
inline void use47(const torch::nn::Cloneable<torch::nn::RNNImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::RNNImpl>::clone(c10::nullopt);
}
inline void use48(const torch::nn::Cloneable<torch::nn::LSTMImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::LSTMImpl>::clone(c10::nullopt);
}
inline void use49(const torch::nn::Cloneable<torch::nn::GRUImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::GRUImpl>::clone(c10::nullopt);
}
inline void use50(const torch::nn::Cloneable<torch::nn::RNNCellImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::RNNCellImpl>::clone(c10::nullopt);
}
inline void use51(const torch::nn::Cloneable<torch::nn::LSTMCellImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::LSTMCellImpl>::clone(c10::nullopt);
}
inline void use52(const torch::nn::Cloneable<torch::nn::GRUCellImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::GRUCellImpl>::clone(c10::nullopt);
}
inline void use53(const torch::nn::Cloneable<torch::nn::TransformerEncoderLayerImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::TransformerEncoderLayerImpl>::clone(c10::nullopt);
}
inline void use54(const torch::nn::Cloneable<torch::nn::TransformerDecoderLayerImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::TransformerDecoderLayerImpl>::clone(c10::nullopt);
}
inline void use55(const torch::nn::Cloneable<torch::nn::TransformerEncoderImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::TransformerEncoderImpl>::clone(c10::nullopt);
}
inline void use56(const torch::nn::Cloneable<torch::nn::TransformerDecoderImpl>& x) {
  x.torch::nn::Cloneable<torch::nn::TransformerDecoderImpl>::clone(c10::nullopt);
}
// Naming a private member in an explicit instantiation is allowed.
template <auto Member>
struct Use {};
template struct Use<&torch::nn::Cloneable<torch::nn::ModuleDictImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::ParameterDictImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::SequentialImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::LinearImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::UnflattenImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::BilinearImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::SoftmaxImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::SoftminImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::LogSoftmaxImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::ThresholdImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::MultiheadAttentionImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::AdaptiveLogSoftmaxWithLossImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::Conv1dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::Conv2dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::Conv3dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::ConvTranspose1dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::ConvTranspose2dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::ConvTranspose3dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::EmbeddingImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::EmbeddingBagImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::FoldImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::UnfoldImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::LayerNormImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::LocalResponseNormImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::CrossMapLRN2dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::GroupNormImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::ZeroPad2dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::FractionalMaxPool2dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::FractionalMaxPool3dImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::RNNImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::LSTMImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::GRUImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::RNNCellImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::LSTMCellImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::GRUCellImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::TransformerEncoderLayerImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::TransformerDecoderLayerImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::TransformerEncoderImpl>::clone_>;
template struct Use<&torch::nn::Cloneable<torch::nn::TransformerDecoderImpl>::clone_>;
}  // namespace kata_pch_instantiate
