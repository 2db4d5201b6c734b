// Per-sample gradients from tapped activations and backprops (see per_sample_grads.h).
#include "cwrf/train/dp/per_sample_grads.h"

#include "cwrf/common/error.h"
#include "cwrf/common/torch_compat.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <map>
#include <typeinfo>

namespace cwrf::train::dp {

namespace taps = models::taps;

namespace {

// "torch::nn::BatchNorm2dImpl" -> "torch::nn::BatchNorm2d"
std::string type_name(const torch::nn::Module& m) {
  std::string name = m.name();
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0) name.resize(name.size() - 4);
  return name;
}

std::string layer_label(const std::string& path, const torch::nn::Module& m) {
  return path.empty() ? fmt::format("the model ({})", type_name(m)) : fmt::format("layer '{}' ({})", path, type_name(m));
}

// ‖row‖² of [n, ...] without a squared copy of the rows (one reduction pass).
torch::Tensor row_squared_norms(const torch::Tensor& g) { return g.reshape({g.size(0), -1}).norm(2, {1}).square(); }

template <typename T>
bool is(const torch::nn::Module& m) {
  return dynamic_cast<const T*>(&m) != nullptr;
}

// Conv2d padding as two numbers; "same" only where it pads both sides equally.
std::vector<int64_t> conv_padding(const torch::nn::detail::ConvNdOptions<2>& o) {
  const auto& padding = o.padding();
  if (const auto* explicit_padding = compat::get_if<torch::ExpandingArray<2>>(&padding))
    return {(*explicit_padding)->at(0), (*explicit_padding)->at(1)};
  if (compat::get_if<torch::enumtype::kValid>(&padding)) return {0, 0};
  std::vector<int64_t> out;
  for (int d = 0; d < 2; ++d) {
    const int64_t total = o.dilation()->at(d) * (o.kernel_size()->at(d) - 1);
    if (total % 2 != 0) return {};  // asymmetric: no rule (check_supported rejects it)
    out.push_back(total / 2);
  }
  return out;
}

}  // namespace

void check_supported(const torch::nn::Module& model) {
  const std::string rules = "DP-SGD's per-sample gradients exist for Linear, Conv2d, LayerNorm, GroupNorm and Embedding";
  for (const auto& item : model.named_modules("", /*include_self=*/true)) {
    const std::string& path = item.key();
    const torch::nn::Module& m = *item.value();
    // BatchNorm mixes the samples of a batch (its statistics), with or without affine
    // parameters, so no layer of such a model has per-sample gradients (opacus validators/batch_norm.py).
    if (is<torch::nn::BatchNorm1dImpl>(m) || is<torch::nn::BatchNorm2dImpl>(m) || is<torch::nn::BatchNorm3dImpl>(m))
      throw Error(fmt::format("DP-SGD cannot train {}: BatchNorm mixes the samples of a batch, so per-sample "
                              "gradients do not exist; use GroupNorm instead (model.norm = \"group\" for the cnn and "
                              "resnet18; the vit uses LayerNorm)",
                              layer_label(path, m)));
    if (m.named_parameters(/*recurse=*/false).is_empty()) continue;
    if (const auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(&m)) {
      if (!compat::get_if<torch::enumtype::kZeros>(&conv->options.padding_mode()))
        throw Error(fmt::format("DP-SGD supports Conv2d with zero padding only; {} uses padding_mode {}",
                                layer_label(path, m), torch::enumtype::get_enum_name(conv->options.padding_mode())));
      if (conv_padding(conv->options).empty())
        throw Error(fmt::format("DP-SGD supports Conv2d padding \"same\" only where it pads both sides equally "
                                "(odd dilation x (kernel - 1)); {} does not",
                                layer_label(path, m)));
      continue;
    }
    if (const auto* embedding = dynamic_cast<const torch::nn::EmbeddingImpl*>(&m)) {
      if (embedding->options.sparse() || embedding->options.scale_grad_by_freq())
        throw Error(fmt::format("DP-SGD supports Embedding without sparse or scale_grad_by_freq gradients; {} sets one",
                                layer_label(path, m)));
      continue;
    }
    if (is<torch::nn::LinearImpl>(m) || is<torch::nn::LayerNormImpl>(m) || is<torch::nn::GroupNormImpl>(m)) continue;
    // A torch layer without a rule. A model's own raw parameters (not a torch:: type) are
    // allowed here: PerSampleGradients checks that a tap (taps::expand_batch/add_broadcast) saw them.
    if (m.name().rfind("torch::nn::", 0) == 0)
      throw Error(fmt::format("DP-SGD cannot train {}: it has parameters and no per-sample gradient rule; {}", layer_label(path, m),
                              rules));
  }
}

TappedPass run_tapped(models::Classifier& model, const torch::Tensor& inputs,
                      const std::function<torch::Tensor(const torch::Tensor& logits)>& loss_of, Amp amp) {
  TappedPass pass;
  pass.batch_size = inputs.size(0);
  require(pass.batch_size > 0, "run_tapped: the batch is empty");
  torch::Tensor logits;
  {
    taps::Capture capture;
    AutocastScope autocast(amp, inputs.device());
    logits = model.forward(inputs);
    pass.records = capture.release();
  }
  logits = full_precision(logits);
  torch::Tensor loss = loss_of(logits);
  pass.logits = logits.detach();
  pass.loss = loss.detach();
  std::vector<torch::Tensor> outputs;
  outputs.reserve(pass.records.size());
  for (const auto& r : pass.records) outputs.push_back(r.output);
  // d(n·loss)/d(output): the per-sample losses' gradients when the loss is a batch mean.
  const torch::Tensor scale = torch::full({}, static_cast<double>(pass.batch_size), loss.options());
  pass.backprops = torch::autograd::grad({loss}, outputs, {scale}, /*retain_graph=*/false, /*create_graph=*/false,
                                         /*allow_unused=*/true);
  for (size_t i = 0; i < pass.records.size(); ++i) {
    if (!pass.backprops[i].defined()) pass.backprops[i] = torch::zeros_like(outputs[i]);
    pass.records[i].output = torch::Tensor();  // the graph is gone; keep only what the rules read
    pass.backprops[i] = full_precision(pass.backprops[i]);
    pass.records[i].input = full_precision(pass.records[i].input);  // token ids stay int64
  }
  return pass;
}

// One parameter's per-sample gradient contribution from one tapped call.
class Term {
 public:
  virtual ~Term() = default;
  // [n, *parameter shape]
  virtual torch::Tensor per_sample() const = 0;
  // ‖g_i‖², [n]
  virtual torch::Tensor squared_norms() const;
  // Σ_i w_i g_i, parameter shape
  virtual torch::Tensor weighted_sum(const torch::Tensor& w) const {
    const torch::Tensor g = per_sample();
    return torch::mm(w.unsqueeze(0), g.reshape({g.size(0), -1})).view(g.sizes().slice(1));
  }
};

torch::Tensor Term::squared_norms() const { return row_squared_norms(per_sample()); }

namespace {

class MaterializedTerm final : public Term {
 public:
  explicit MaterializedTerm(torch::Tensor g) : g_(std::move(g)) {}
  torch::Tensor per_sample() const override { return g_; }

 private:
  torch::Tensor g_;
};

// Linear weight [p, d] from A [n, T, d], G [n, T, p] (opacus grad_sample/linear.py:
// einsum('n...i,n...j->nij', G, A)).
class LinearWeightTerm final : public Term {
 public:
  LinearWeightTerm(torch::Tensor a, torch::Tensor g, NormRoute route) : a_(std::move(a)), g_(std::move(g)) {
    const int64_t t = a_.size(1), d = a_.size(2), p = g_.size(2);
    ghost_ = route == NormRoute::Ghost || (route == NormRoute::Auto && t * (d + p) < d * p);
  }
  torch::Tensor per_sample() const override {
    if (!cached_.defined()) cached_ = torch::bmm(g_.transpose(1, 2), a_);
    return cached_;
  }
  torch::Tensor squared_norms() const override {
    if (!ghost_) return row_squared_norms(per_sample());
    if (a_.size(1) == 1) return g_.squeeze(1).pow(2).sum(1) * a_.squeeze(1).pow(2).sum(1);
    // ‖G_iᵀA_i‖²_F = Σ_{t,s} (A_iA_iᵀ)_{ts} (G_iG_iᵀ)_{ts}
    return (torch::bmm(a_, a_.transpose(1, 2)) * torch::bmm(g_, g_.transpose(1, 2))).sum({1, 2});
  }
  torch::Tensor weighted_sum(const torch::Tensor& w) const override {
    if (cached_.defined()) return Term::weighted_sum(w);
    const int64_t d = a_.size(2), p = g_.size(2);
    return torch::mm((g_ * w.view({-1, 1, 1})).reshape({-1, p}).t(), a_.reshape({-1, d}));
  }

 private:
  torch::Tensor a_, g_;
  bool ghost_ = false;
  mutable torch::Tensor cached_;
};

// im2col as one strided copy: the zero-padded input viewed as [n, C, kh, kw, H_out, W_out] and
// made contiguous, i.e. [n, C·kh·kw, L] in unfold's order. (at::im2col, LibTorch 1.13's CPU kernel,
// took ~100x longer on the CNN's activations.)
torch::Tensor unfold(const torch::Tensor& a, const std::vector<int64_t>& kernel, const std::vector<int64_t>& dilation,
                     const std::vector<int64_t>& padding, const std::vector<int64_t>& stride, int64_t out_h,
                     int64_t out_w) {
  // The window view works with any strides (NCHW or channels-last), so no layout copy comes first.
  torch::Tensor padded = a;
  if (padding[0] != 0 || padding[1] != 0)
    padded = torch::constant_pad_nd(padded, {padding[1], padding[1], padding[0], padding[0]});
  const int64_t n = padded.size(0), c = padded.size(1);
  const auto s = padded.strides();
  const torch::Tensor windows =
      padded.as_strided({n, c, kernel[0], kernel[1], out_h, out_w},
                        {s[0], s[1], dilation[0] * s[2], dilation[1] * s[3], stride[0] * s[2], stride[1] * s[3]},
                        padded.storage_offset());
  return windows.reshape({n, c * kernel[0] * kernel[1], out_h * out_w});
}

// Conv2d weight [C_out, C_in/g, kh, kw] from unfold(A) [n, g, D, L] and G [n, g, P, L]
// (opacus grad_sample/conv.py: einsum('noq,npq->nop') per group).
class ConvWeightTerm final : public Term {
 public:
  ConvWeightTerm(const torch::nn::Conv2dImpl& conv, const torch::Tensor& a, const torch::Tensor& g, NormRoute route)
      : a_(a), g_(g), weight_(conv.weight), padding_(conv_padding(conv.options)) {
    const auto& o = conv.options;
    stride_ = {o.stride()->at(0), o.stride()->at(1)};
    dilation_ = {o.dilation()->at(0), o.dilation()->at(1)};
    kernel_ = {o.kernel_size()->at(0), o.kernel_size()->at(1)};
    groups_ = o.groups();
    const int64_t n = a.size(0), l = g.size(2) * g.size(3);
    const int64_t d = weight_.size(1) * kernel_[0] * kernel_[1], p = weight_.size(0) / groups_;
    au_ = unfold(a, kernel_, dilation_, padding_, stride_, g.size(2), g.size(3)).view({n, groups_, d, l});
    gu_ = g.reshape({n, groups_, p, l});
    ghost_ = route == NormRoute::Ghost || (route == NormRoute::Auto && l * (d + p) < d * p);
  }
  torch::Tensor per_sample() const override {
    if (!cached_.defined()) {
      std::vector<int64_t> shape{a_.size(0)};
      for (int64_t s : weight_.sizes()) shape.push_back(s);
      cached_ = torch::matmul(gu_, au_.transpose(2, 3)).view(shape);
    }
    return cached_;
  }
  torch::Tensor squared_norms() const override {
    if (!ghost_) return row_squared_norms(per_sample());
    return (torch::matmul(au_.transpose(2, 3), au_) * torch::matmul(gu_.transpose(2, 3), gu_)).sum({1, 2, 3});
  }
  torch::Tensor weighted_sum(const torch::Tensor& w) const override {
    if (cached_.defined()) return Term::weighted_sum(w);
    // The ordinary weight gradient of the rescaled backprops.
    return std::get<1>(at::convolution_backward(g_ * w.view({-1, 1, 1, 1}), a_, weight_, c10::nullopt, stride_, padding_,
                                                dilation_, /*transposed=*/false, {0, 0}, groups_, {false, true, false}));
  }

 private:
  torch::Tensor a_, g_, weight_, au_, gu_;
  std::vector<int64_t> padding_, stride_, dilation_, kernel_;
  int64_t groups_ = 1;
  bool ghost_ = false;
  mutable torch::Tensor cached_;
};

// Embedding weight [V, dim]: scatter-add of the backprop rows at the token ids
// (opacus grad_sample/embedding.py).
class EmbeddingTerm final : public Term {
 public:
  EmbeddingTerm(const torch::nn::EmbeddingImpl& embedding, const torch::Tensor& ids, const torch::Tensor& g,
                NormRoute route)
      : num_embeddings_(embedding.weight.size(0)) {
    const int64_t n = ids.size(0), dim = embedding.weight.size(1);
    ids_ = ids.reshape({n, -1});
    g_ = g.reshape({n, -1, dim});
    if (const auto pad = embedding.options.padding_idx())
      g_ = g_.masked_fill(ids_.eq(*pad < 0 ? *pad + num_embeddings_ : *pad).unsqueeze(2), 0.0);
    const int64_t t = ids_.size(1);
    ghost_ = route == NormRoute::Ghost || (route == NormRoute::Auto && t * t < num_embeddings_);
  }
  torch::Tensor per_sample() const override {
    const int64_t n = ids_.size(0), dim = g_.size(2);
    const torch::Tensor rows = (ids_ + torch::arange(n, ids_.options()).unsqueeze(1) * num_embeddings_).flatten();
    return torch::zeros({n * num_embeddings_, dim}, g_.options())
        .index_add_(0, rows, g_.reshape({-1, dim}))
        .view({n, num_embeddings_, dim});
  }
  torch::Tensor squared_norms() const override {
    if (!ghost_) return Term::squared_norms();
    // Σ_{t,s} [id_t = id_s] ⟨G_t, G_s⟩
    const torch::Tensor same = ids_.unsqueeze(2).eq(ids_.unsqueeze(1)).to(g_.scalar_type());
    return (torch::bmm(g_, g_.transpose(1, 2)) * same).sum({1, 2});
  }
  torch::Tensor weighted_sum(const torch::Tensor& w) const override {
    const int64_t dim = g_.size(2);
    return torch::zeros({num_embeddings_, dim}, g_.options())
        .index_add_(0, ids_.flatten(), (g_ * w.view({-1, 1, 1})).reshape({-1, dim}));
  }

 private:
  int64_t num_embeddings_;
  torch::Tensor ids_, g_;
  bool ghost_ = false;
};

// Sums `t` over every dimension except the batch dimension (0) and the trailing `keep` ones.
torch::Tensor sum_to_trailing(const torch::Tensor& t, int64_t keep) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < t.dim() - keep; ++d) dims.push_back(d);
  return dims.empty() ? t : t.sum(dims);
}

}  // namespace

PerSampleGradients::PerSampleGradients(torch::nn::Module& model, const TappedPass& pass, NormRoute route)
    : batch_size_(pass.batch_size) {
  torch::NoGradGuard no_grad;
  std::map<const void*, size_t> index;
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    index[item.value().unsafeGetTensorImpl()] = names_.size();
    names_.push_back(item.key());
    parameters_.push_back(item.value());
  }
  terms_.resize(names_.size());
  auto add = [&](const torch::Tensor& parameter, std::function<std::shared_ptr<Term>()> make) {
    if (!parameter.defined() || !parameter.requires_grad()) return;
    auto it = index.find(parameter.unsafeGetTensorImpl());
    if (it == index.end())
      throw Error("DP-SGD: a tapped layer's parameter is not a parameter of the model being trained");
    terms_[it->second].push_back(make());
  };

  const int64_t n = batch_size_;
  for (size_t i = 0; i < pass.records.size(); ++i) {
    const taps::Record& r = pass.records[i];
    const torch::Tensor& g = pass.backprops[i];
    switch (r.kind) {
      case taps::LayerKind::Linear: {
        const auto& m = dynamic_cast<const torch::nn::LinearImpl&>(*r.module);
        const int64_t d = m.weight.size(1), p = m.weight.size(0);
        const torch::Tensor a3 = r.input.reshape({n, -1, d}), g3 = g.reshape({n, -1, p});
        add(m.weight, [&] { return std::make_shared<LinearWeightTerm>(a3, g3, route); });
        add(m.bias, [&] { return std::make_shared<MaterializedTerm>(g3.sum(1)); });
        break;
      }
      case taps::LayerKind::Conv2d: {
        const auto& m = dynamic_cast<const torch::nn::Conv2dImpl&>(*r.module);
        add(m.weight, [&] { return std::make_shared<ConvWeightTerm>(m, r.input, g, route); });
        add(m.bias, [&] { return std::make_shared<MaterializedTerm>(g.sum({2, 3})); });
        break;
      }
      case taps::LayerKind::LayerNorm: {
        // W: Σ over the non-batch, non-normalised dims of layer_norm(A)·G (opacus grad_sample/layer_norm.py).
        const auto& m = dynamic_cast<const torch::nn::LayerNormImpl&>(*r.module);
        const auto& shape = m.options.normalized_shape();
        const int64_t keep = static_cast<int64_t>(shape.size());
        add(m.weight, [&] {
          const torch::Tensor normalized = torch::layer_norm(r.input, shape, {}, {}, m.options.eps());
          return std::make_shared<MaterializedTerm>(sum_to_trailing(normalized * g, keep));
        });
        add(m.bias, [&] { return std::make_shared<MaterializedTerm>(sum_to_trailing(g, keep)); });
        break;
      }
      case taps::LayerKind::GroupNorm: {
        // W: Σ over space of group_norm(A)·G per channel (opacus grad_sample/group_norm.py).
        const auto& m = dynamic_cast<const torch::nn::GroupNormImpl&>(*r.module);
        auto per_channel = [](const torch::Tensor& t) {
          std::vector<int64_t> space;
          for (int64_t d = 2; d < t.dim(); ++d) space.push_back(d);
          return space.empty() ? t : t.sum(space);
        };
        add(m.weight, [&] {
          // Σ_s x̂·G = rstd·(Σ_s A·G − μ·Σ_s G) per channel, with the group's mean μ and 1/σ:
          // no normalised copy of the activation (as torch::group_norm would make) is needed.
          const torch::Tensor& a = r.input;
          const int64_t n = a.size(0), c = a.size(1), groups = m.options.num_groups();
          // [n, groups, C/groups, *space]: a view for NCHW and channels-last alike.
          std::vector<int64_t> grouped{n, groups, c / groups}, reduce;
          for (int64_t d = 2; d < a.dim(); ++d) grouped.push_back(a.size(d));
          for (int64_t d = 2; d < static_cast<int64_t>(grouped.size()); ++d) reduce.push_back(d);
          const auto [var, mean] = torch::var_mean(a.reshape(grouped), reduce, /*unbiased=*/false);
          const torch::Tensor rstd = (var + m.options.eps()).rsqrt().unsqueeze(2);  // [n, groups, 1]
          const torch::Tensor ag = per_channel(a * g).view({n, groups, c / groups});
          const torch::Tensor g_sum = per_channel(g).view({n, groups, c / groups});
          return std::make_shared<MaterializedTerm>((rstd * (ag - mean.unsqueeze(2) * g_sum)).view({n, c}));
        });
        add(m.bias, [&] { return std::make_shared<MaterializedTerm>(per_channel(g)); });
        break;
      }
      case taps::LayerKind::Embedding: {
        const auto& m = dynamic_cast<const torch::nn::EmbeddingImpl&>(*r.module);
        add(m.weight, [&] { return std::make_shared<EmbeddingTerm>(m, r.input, g, route); });
        break;
      }
      case taps::LayerKind::Broadcast: {
        // A raw parameter broadcast over the batch: its per-sample gradient is the backprop
        // summed over the dimensions the parameter was broadcast along.
        const torch::Tensor& param = r.parameter;
        add(param, [&] {
          std::vector<int64_t> target{n}, shape{n};
          const int64_t lead = g.dim() - param.dim();  // 0 when the parameter has a leading batch dim of 1
          if (lead == 0) require(param.size(0) == 1, "taps: a broadcast parameter's leading dimension must be 1");
          for (int64_t d = 1; d < g.dim(); ++d) {
            const int64_t pd = d - lead;
            target.push_back(pd >= 0 ? param.size(pd) : 1);
          }
          for (int64_t s : param.sizes()) shape.push_back(s);
          return std::make_shared<MaterializedTerm>(g.sum_to_size(target).reshape(shape));
        });
        break;
      }
    }
  }
  for (size_t i = 0; i < names_.size(); ++i)
    if (terms_[i].empty())
      throw Error(fmt::format("DP-SGD: trainable parameter '{}' got no per-sample gradient: its layer is not called "
                              "through models::taps (taps::call, or taps::expand_batch / add_broadcast for a raw "
                              "parameter) in the model's forward, or it took no part in the forward pass",
                              names_[i]));
}

PerSampleGradients::~PerSampleGradients() = default;
PerSampleGradients::PerSampleGradients(PerSampleGradients&&) noexcept = default;
PerSampleGradients& PerSampleGradients::operator=(PerSampleGradients&&) noexcept = default;

torch::Tensor PerSampleGradients::squared_norms() const {
  torch::NoGradGuard no_grad;
  torch::Tensor total;
  for (const auto& terms : terms_) {
    torch::Tensor s;
    if (terms.size() == 1) {
      s = terms[0]->squared_norms();
    } else {  // a parameter used by several calls: the norm of the summed gradient
      torch::Tensor g = terms[0]->per_sample();
      for (size_t k = 1; k < terms.size(); ++k) g = g + terms[k]->per_sample();
      s = row_squared_norms(g);
    }
    total = total.defined() ? total.add_(s) : s.clone();
  }
  // No parameter at all: zero norms, where a parameter would have put them.
  return total.defined() ? total
                         : torch::zeros({batch_size_}, parameters_.empty() ? torch::TensorOptions()
                                                                           : parameters_.front().options());
}

std::vector<torch::Tensor> PerSampleGradients::weighted_sums(const torch::Tensor& weights) const {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  out.reserve(terms_.size());
  for (size_t i = 0; i < terms_.size(); ++i) {
    const torch::Tensor w = weights.to(parameters_[i].scalar_type());
    torch::Tensor sum = terms_[i][0]->weighted_sum(w);
    for (size_t k = 1; k < terms_[i].size(); ++k) sum = sum + terms_[i][k]->weighted_sum(w);
    out.push_back(sum.reshape(parameters_[i].sizes()));
  }
  return out;
}

std::vector<torch::Tensor> PerSampleGradients::materialize() const {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (const auto& terms : terms_) {
    torch::Tensor g = terms[0]->per_sample();
    for (size_t k = 1; k < terms.size(); ++k) g = g + terms[k]->per_sample();
    out.push_back(g);
  }
  return out;
}

}  // namespace cwrf::train::dp
