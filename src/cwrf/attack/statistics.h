// Per-example statistics of a model's logits, in float64 and numerically stable
// (docs/ALGORITHMS.md §4 "Statistic"; tensorflow/privacy research/mi_lira_2021/score.py,
// inspire-group/membership-inference-evaluation membership_inference_attacks.py).
#pragma once

#include "cwrf/attack/arrays.h"

#include <torch/types.h>

#include <cstdint>

namespace cwrf::attack {

// Statistics of one logit row z (C >= 2 classes) with true class y.
struct RowStatistics {
  double logit_scaled = 0.0;      // φ = log p_y − log(1 − p_y) = z_y − logsumexp_{j≠y} z_j
  double loss = 0.0;              // −log p_y
  double confidence = 0.0;        // p_y
  double entropy = 0.0;           // −Σ p_i log p_i
  double modified_entropy = 0.0;  // −(1 − p_y) log p_y − Σ_{i≠y} p_i log(1 − p_i)  (Song & Mittal 2021)
};
RowStatistics row_statistics(const double* logits, int64_t classes, int64_t label);

// log s for RMIA's signal s = softmax(z/T) of the true class with a soft margin m taken off the
// true logit: s = e^{z_y/T − m} / (e^{z_y/T − m} + Σ_{j≠y} e^{z_j/T}) (ml_privacy_meter
// research/2024_rmia signals.py "soft-margin"; T = 1, m = 0 is the plain softmax probability).
double row_log_rmia_signal(const double* logits, int64_t classes, int64_t label, double temperature, double margin);

// The ml_privacy_meter research code's default RMIA signal ("sm_taylor_softmax_relative", signals.py
// convert_signals "taylor-soft-margin"): e^u replaced by its Taylor polynomial of order n,
// t_n(u) = 1 + u + u²/2! + ... + u^{n−1}/(n−1)! (get_taylor; n = 4 there: up to u³/6), and
//   s = t_n(z_y/T − m) / (t_n(z_y/T − m) + Σ_{j≠y} t_n(z_j/T))   (T = 2, m = 0.6 there).
// In linear space: t_n can be ≤ 0 (u < −1.6 for n = 4), so s can be any real number.
double taylor_exp(double u, int64_t order);
double row_rmia_taylor_signal(const double* logits, int64_t classes, int64_t label, double temperature, double margin,
                              int64_t order);

// All statistics of logits [models, examples, queries, classes] (float32 or float64) with
// labels int64 [examples]; each is [models, examples, queries].
struct Statistics {
  SignalArray logit_scaled;
  SignalArray loss;
  SignalArray confidence;
  SignalArray entropy;
  SignalArray modified_entropy;
};
Statistics compute_statistics(const torch::Tensor& logits, const torch::Tensor& labels);

SignalArray compute_log_rmia_signal(const torch::Tensor& logits, const torch::Tensor& labels, double temperature,
                                    double margin);
// The Taylor soft-margin signal s itself (not its log), [models, examples, queries].
SignalArray compute_rmia_taylor_signal(const torch::Tensor& logits, const torch::Tensor& labels, double temperature,
                                       double margin, int64_t order);

}  // namespace cwrf::attack
