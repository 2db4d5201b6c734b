// Weight-level importance scores (paper Sec. 3 and 4.1, Alg. 1 lines 1-10).
//
// Both scores accumulate |g ⊙ θ'| per weight over T iterations while a throw-away copy θ'
// of the trained model is updated by plain SGD (θ' ← θ' − η_e·g):
//   TFO learnability (Eq. 2):            L = CE(f(x_tr; θ'), y_tr)
//   privacy vulnerability, PVE (Eq. 3-4): L = (1 − λ)·CE(f(x_tr; θ'), y_tr) + λ·KL(f(x_re; θ_vn) ‖ f(x_re; θ'))
// where the KL pulls the copy's predictions on non-members (the reference set) toward the
// untrained model's. θ' is taken before each update. The model is in train mode (BatchNorm
// batch statistics), as in the reference procedure (docs/ALGORITHMS.md §1).
#pragma once

#include "cwrf/common/tensor_io.h"
#include "cwrf/data/batches.h"
#include "cwrf/models/classifier.h"

#include <cstdint>
#include <functional>
#include <string>

namespace cwrf::weights {

// Parameter name -> float32 scores of the parameter's shape, over named_parameters().
using Scores = TensorMap;

enum class ScoreMethod { Pve, Tfo };
ScoreMethod parse_score_method(const std::string& name);  // "pve" | "tfo"; Error otherwise
std::string to_string(ScoreMethod method);

struct ScoreOptions {
  ScoreMethod method = ScoreMethod::Pve;
  int64_t iterations = 30;    // T (paper: 30)
  int64_t batch_size = 256;   // B (paper: 256), for the member and the reference batch each
  double lambda = 0.7;        // λ of Eq. 4 (paper: 0.7 for CIFAR-10 / CINIC-10, 0.9 for CIFAR-100)
  double lr = 1e-3;           // η_e, the copy's SGD step (not given in the paper)
  std::string kl_reduction = "batchmean";  // "batchmean" (KL per sample) or "mean" (over B·C, PyTorch's default)
  uint64_t seed = 0;          // batch order
  bool channels_last = false;
};

// `model` holds θ_up and is left unchanged (a copy is updated). `theta_vn` is the model's
// initial state (parameters and buffers, as in init.pt); `reference` may be null for TFO.
// Throws Error for an empty set, a missing reference set for PVE, or λ outside [0, 1].
Scores compute_scores(const models::ModelSpec& spec, const TensorMap& theta_up, const TensorMap& theta_vn,
                      const data::Prepared& members, const data::Prepared* reference, const ScoreOptions& options,
                      const std::function<void(int64_t, int64_t)>& on_iteration = {});

// The same for any architecture: `make` builds a fresh instance to load θ_up / θ_vn into.
using ModelFactory = std::function<models::ClassifierPtr()>;
Scores compute_scores(const ModelFactory& make, const TensorMap& theta_up, const TensorMap& theta_vn,
                      const data::Prepared& members, const data::Prepared* reference, const ScoreOptions& options,
                      const std::function<void(int64_t, int64_t)>& on_iteration = {});

// Saves / loads scores as a torch.load-able dict of float32 tensors (atomic write; errors name the file).
void save_scores(const std::filesystem::path& path, const Scores& scores);
Scores load_scores(const std::filesystem::path& path);

}  // namespace cwrf::weights
