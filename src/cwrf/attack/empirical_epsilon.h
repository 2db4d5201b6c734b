// Empirical lower bounds on the DP ε of a training run from one target's membership scores
// (DP auditing: Jagielski, Ullman & Oprea 2020, "Auditing differentially private machine
// learning"; Nasr et al. 2021, "Adversary instantiation").
//
// An (ε, δ)-DP training algorithm bounds every membership test: TPR ≤ e^ε FPR + δ and, for
// the complementary test, TNR ≤ e^ε FNR + δ. So each ROC threshold (predict "member" for
// score ≥ threshold) gives
//   ε ≥ max( log((TPR − δ)/FPR), log((TNR − δ)/FNR) ),
// and the bound is the maximum over all thresholds of the target's ROC. With rates measured on
// finitely many examples, the high-confidence version replaces TPR and TNR by one-sided
// Clopper-Pearson lower bounds and FPR and FNR by upper bounds (Jagielski et al.'s estimate:
// ε_LB = max(log((1 − δ − FNR_hi)/FPR_hi), log((1 − δ − FPR_hi)/FNR_hi)), 1 − FNR_hi = TPR_lo).
//
// Confidence: the two bounds of one threshold hold together with probability ≥ `confidence`
// (each one-sided at 1 − (1 − confidence)/2, Bonferroni; the interval ends statsmodels'
// proportion_confint(method="beta") gives, which the auditing code of Jagielski et al. uses).
// Maximising over every threshold of the same data is a multiple comparison the per-threshold
// confidence does not cover: for an audit claim, choose the threshold on other targets (or
// other examples) and evaluate it here with a single-threshold ROC.
#pragma once

#include "cwrf/attack/roc.h"

#include <cstdint>
#include <map>
#include <vector>

namespace cwrf::attack {

// One-sided Clopper-Pearson (1934) bounds of a binomial proportion: the lower bound is the
// (1 − level) quantile of Beta(k, n − k + 1) (0 for k = 0), the upper bound the level quantile of
// Beta(k + 1, n − k) (1 for k = n). level in (0, 1), 0 ≤ k ≤ n, n ≥ 1; Error otherwise.
double clopper_pearson_lower(int64_t successes, int64_t trials, double level);
double clopper_pearson_upper(int64_t successes, int64_t trials, double level);

struct EmpiricalEpsilonOptions {
  double confidence = 0.95;  // joint level of a threshold's two bounds (Jagielski et al. use 95 %)
  double delta = 0.0;        // the δ of the (ε, δ) claim being audited, in [0, 1)
};

// The threshold attaining a maximum, and what it was computed from.
struct EpsilonWitness {
  double epsilon = 0.0;     // ≥ 0; +inf only for the point estimate (a threshold with FPR or FNR = 0)
  double threshold = 0.0;   // "member" for score ≥ threshold (+inf: nobody)
  int64_t true_positives = 0, false_positives = 0;
  bool complement = false;  // attained by the (TNR − δ)/FNR form rather than (TPR − δ)/FPR
  double true_rate = 0.0;   // the TPR (or TNR) used: a lower bound, or the plain rate for the point estimate
  double false_rate = 0.0;  // the FPR (or FNR) used: an upper bound, or the plain rate
};

struct EmpiricalEpsilon {
  EpsilonWitness lower_bound;  // with the Clopper-Pearson bounds
  EpsilonWitness point;        // the plain rates (no intervals)
  int64_t members = 0, non_members = 0;
  double confidence = 0.0, delta = 0.0;
};

// The upper Clopper-Pearson bounds clopper_pearson_upper(k, n, level) for every k of each n asked
// for, computed once: an attack run's targets and variants have the same few n (members,
// non-members) and share them.
class ClopperPearsonTable {
 public:
  explicit ClopperPearsonTable(double level) : level_(level) {}
  double level() const { return level_; }
  double upper(int64_t successes, int64_t trials);

 private:
  double level_;
  std::map<int64_t, std::vector<double>> bounds_;  // per n: [n + 1], −1 until computed
};

// From scores (higher = member) and membership of one target's examples. Error for NaN scores,
// mismatched lengths, no members or no non-members, or options out of range.
EmpiricalEpsilon empirical_epsilon(const std::vector<double>& scores, const std::vector<uint8_t>& members,
                                   const EmpiricalEpsilonOptions& options = {});
EmpiricalEpsilon empirical_epsilon(const RocCurve& roc, const EmpiricalEpsilonOptions& options = {});
// The same with bounds from `table` (whose level must be 1 − (1 − confidence)/2, the options' per-side level).
EmpiricalEpsilon empirical_epsilon(const RocCurve& roc, const EmpiricalEpsilonOptions& options,
                                   ClopperPearsonTable& table);
// The per-side level of a joint confidence (Bonferroni over a threshold's two bounds).
double per_side_level(double confidence);

}  // namespace cwrf::attack
