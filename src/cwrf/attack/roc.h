// ROC curves and the metrics of docs/ALGORITHMS.md §4 "Metrics": every threshold (tied scores
// merged into one point), trapezoid AUC, balanced accuracy, TPR at low FPR with a stratified
// bootstrap interval. Scores: higher = more likely a member; "member" is predicted when
// score ≥ threshold.
#pragma once

#include <cstdint>
#include <vector>

namespace cwrf::attack {

struct RocCurve {
  // Point i predicts "member" for scores ≥ threshold[i]; point 0 is (0, 0) at threshold +inf,
  // then one point per distinct score, descending, ending at (1, 1).
  std::vector<double> threshold;
  std::vector<int64_t> true_positives, false_positives;
  int64_t positives = 0, negatives = 0;

  size_t size() const { return threshold.size(); }
  double tpr(size_t i) const;
  double fpr(size_t i) const;
};

// members[i] != 0 marks a member. Error for NaN scores or mismatched lengths.
RocCurve roc_curve(const std::vector<double>& scores, const std::vector<uint8_t>& members);

double roc_auc(const RocCurve& roc);  // trapezoid rule: a tie block contributes its diagonal (½ credit)
// max over thresholds of ½(TPR + 1 − FPR) (mi_lira_2021 plot.py sweep: max 1 − (FPR + (1 − TPR))/2).
double balanced_accuracy(const RocCurve& roc);
// The largest TPR among the points with FPR ≤ alpha, i.e. at most ⌊alpha · negatives⌋ false
// positives (≤, not <: a point at exactly FPR = alpha counts).
double tpr_at_fpr(const RocCurve& roc, double alpha);

struct Interval {
  double low = 0.0, high = 0.0;
};

struct RocMetrics {
  double auc = 0.0;
  double balanced_accuracy = 0.0;
  std::vector<double> fpr_levels;     // the alphas
  std::vector<double> tpr;            // tpr_at_fpr at each level
  std::vector<Interval> tpr_interval; // bootstrap percentile interval per level (empty without bootstrap)
  int64_t members = 0, non_members = 0;
};

// The false-positive budget of FPR <= alpha with `negatives` non-members: ⌊alpha · negatives⌋,
// robust to alpha · n landing a rounding error below an integer (1e-3 · 1000 allows exactly 1).
int64_t allowed_false_positives(double alpha, int64_t negatives);

struct RocOptions {
  std::vector<double> fpr_levels = {1e-2, 1e-3, 1e-5};
  int64_t bootstrap = 200;  // replicates; 0 = no intervals
  double confidence = 0.95;
  uint64_t seed = 0;
};

// Stratified bootstrap: members and non-members are resampled separately (their counts fixed),
// so every replicate has the original FPR resolution. Percentile intervals (numpy's linear
// interpolation between order statistics).
std::vector<Interval> bootstrap_tpr_at_fpr(const std::vector<double>& scores, const std::vector<uint8_t>& members,
                                           const std::vector<double>& fpr_levels, int64_t replicates,
                                           double confidence, uint64_t seed);

RocMetrics evaluate_roc(const std::vector<double>& scores, const std::vector<uint8_t>& members,
                        const RocOptions& options);

}  // namespace cwrf::attack
