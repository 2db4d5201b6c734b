// Per-sample gradients for DP-SGD in the "hooks" form (docs/ALGORITHMS.md §3; opacus
// grad_sample/{linear,conv,layer_norm,group_norm,embedding}.py): each tapped layer call's input
// activation A and output backprop G (models/taps.h) give the per-sample gradients in batched
// einsum / unfold form, never by looping over samples.
//
// The DP step needs two things per batch: every sample's total gradient norm ‖g_i‖ (over all
// parameters) and the clipped sum Σ_i c_i g_i. Both are formed layer by layer without keeping a
// [n, *shape] tensor where a cheaper exact route exists ("book-keeping" / mixed ghost clipping,
// Bu et al. 2022): a Linear or Conv2d weight's per-sample norm is taken either from the
// materialised per-sample gradient or from the Gram matrices of A and G (‖G_iᵀA_i‖² =
// Σ_{t,s} (A_iA_iᵀ)_{ts}(G_iG_iᵀ)_{ts}, cost T²(d+p) instead of T·d·p), whichever is cheaper,
// and the clipped sum is one ordinary weight-gradient product of A with the rescaled G. The
// result is the exact clipped sum; no approximation enters the noised gradient.
#pragma once

#include "cwrf/models/classifier.h"
#include "cwrf/models/taps.h"
#include "cwrf/train/amp.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cwrf::train::dp {

// Throws Error naming the first module of `model` that holds parameters but has no per-sample
// rule: BatchNorm (it mixes the samples of a batch; use GroupNorm, model.norm = "group" for the
// cnn and resnet18), InstanceNorm, other torch layers (Conv1d/3d, transposed convs, attention,
// RNNs, ...), a Conv2d with a non-zero padding mode or an asymmetric "same" padding, an Embedding
// with sparse or frequency-scaled gradients. A model's own raw parameters (the ViT's cls token)
// pass here; PerSampleGradients checks that a tap reached them.
void check_supported(const torch::nn::Module& model);

// One batch run with the taps on.
struct TappedPass {
  int64_t batch_size = 0;
  torch::Tensor logits;  // detached
  torch::Tensor loss;    // detached scalar: the objective's batch-mean loss
  std::vector<models::taps::Record> records;
  // One per record: ∂(n·loss)/∂output, the gradients of the per-sample losses (the batch-mean
  // loss's backprops times n, ALGORITHMS.md §3). Zeros where an output did not reach the loss.
  std::vector<torch::Tensor> backprops;
};

// Forward of `inputs` (batch ≥ 1) through `model` under a taps::Capture, loss = loss_of(logits)
// (a batch mean over the samples), then autograd for the backprops of every tapped output only:
// no parameter's .grad() is touched, and the weight-gradient products of the ordinary backward
// are skipped (the clipped sum forms them once, below). With amp the forward runs under autocast;
// loss_of gets float32 logits, and the records' activations and the backprops come back in float32,
// so norms, clipping and sums are formed in full precision from the bf16 forward's values.
TappedPass run_tapped(models::Classifier& model, const torch::Tensor& inputs,
                      const std::function<torch::Tensor(const torch::Tensor& logits)>& loss_of, Amp amp = Amp::Off);

// How a Linear / Conv2d / Embedding weight's per-sample norms are formed: Auto takes the cheaper
// of the two exact routes; the others force one (for tests and benchmarks).
enum class NormRoute { Auto, Materialize, Ghost };

class Term;  // one parameter's contribution from one tapped call (per_sample_grads.cpp)

// The per-sample gradients of every trainable parameter of `model` in one TappedPass.
class PerSampleGradients {
 public:
  // Throws Error naming a trainable parameter that no tapped call reached.
  PerSampleGradients(torch::nn::Module& model, const TappedPass& pass, NormRoute route = NormRoute::Auto);
  ~PerSampleGradients();
  PerSampleGradients(PerSampleGradients&&) noexcept;
  PerSampleGradients& operator=(PerSampleGradients&&) noexcept;

  // Trainable parameters (requires_grad), in named_parameters() order.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<torch::Tensor>& parameters() const { return parameters_; }

  // ‖g_i‖² summed over all parameters, [n], in the parameters' dtype.
  torch::Tensor squared_norms() const;
  // Σ_i weights_i · g_i for each parameter (weights: [n]), in parameters() order.
  std::vector<torch::Tensor> weighted_sums(const torch::Tensor& weights) const;
  // The per-sample gradients [n, *shape], in parameters() order (memory n × parameters).
  std::vector<torch::Tensor> materialize() const;

 private:
  int64_t batch_size_ = 0;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> parameters_;
  std::vector<std::vector<std::shared_ptr<Term>>> terms_;  // per parameter
};

}  // namespace cwrf::train::dp
