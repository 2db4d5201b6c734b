// Metric-based attacks with class-dependent thresholds fitted on shadow outputs (Song & Mittal
// 2021; docs/ALGORITHMS.md §4 "Metric attacks"; inspire-group/membership-inference-evaluation
// membership_inference_attacks.py _thre_setting / _mem_inf_thre).
//
// The value is oriented so that larger means "member": −loss, confidence p_y, −entropy,
// −modified entropy (the reference thresholds −entropy and −modified entropy), averaged over
// queries. For each class c a threshold τ_c is fitted on the shadows: the value t among the
// shadows' IN and OUT values of class c maximising ½(Pr_IN[v ≥ t] + Pr_OUT[v < t]) (the
// smallest such t). The attack predicts "member" when v ≥ τ_y; as a score for ROC curves it
// reports v − τ_y, so the fitted operating point is the threshold 0.
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/protocol.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::attack {

enum class MetricKind { kLoss, kConfidence, kEntropy, kModifiedEntropy };

std::string metric_name(MetricKind kind);  // "loss", "confidence", "entropy", "modified-entropy"
MetricKind parse_metric(const std::string& name);  // Error naming the value
std::vector<MetricKind> all_metrics();

struct ThresholdFit {
  double threshold = 0.0;
  double accuracy = 0.0;  // ½(Pr_IN[v ≥ t] + Pr_OUT[v < t]) on the fitting values
};
// Error if either side is empty.
ThresholdFit fit_threshold(const std::vector<double>& in_values, const std::vector<double>& out_values);

struct MetricResult {
  std::vector<double> scores;      // [examples]: v − τ_label
  std::vector<double> thresholds;  // [classes]: τ_c (in the oriented value's units)
};

// statistic: the raw statistic of `kind` (loss, confidence, entropy or modified entropy) of every
// model [models, examples, queries]; labels [examples] in [0, classes).
MetricResult metric_attack(const SignalArray& statistic, MetricKind kind, const std::vector<int64_t>& labels,
                           int64_t classes, const ShadowSplit& split);

}  // namespace cwrf::attack
