// One verdict per claim of the paper, computed from this run's measurements by the rules below
// (pure functions of the evidence, so each rule is tested on fabricated inputs). A verdict is
// "holds", "does not hold" or "inconclusive" at this scale ("not evaluated" when the experiment
// lacks the analysis it needs), with the numbers and intervals it rests on.
//
// Every claim is a conjunction of parts; the claim holds when every part holds, does not hold
// when some part does not, and is inconclusive otherwise. A part compares an interval with a
// margin: "d > m" holds when the whole interval is above m, does not hold when the whole
// interval is below m, and is inconclusive when it straddles m; "|d| ≤ t" holds when the
// interval lies inside [-t, t], does not hold when it lies wholly outside.
//
//  (i)   Privacy vulnerability sits in a small fraction of the weights: for every analysed
//        model the top 5 % of weights by PVE hold more than half of all PVE score (ten times
//        their share under uniform scores). Interval: bootstrap over the weights.
//  (ii)  Those weights are also learnability-critical: for every analysed model PCC(PVE, TFO)
//        over all weights exceeds 0.5, and the main components (conv; attention+MLP) correlate
//        more than the normalization layers (the paper's ordering: main highest, norm lowest).
//  (iii) Location, not value, matters: removing the top-r PVE weights (A1) costs more than 10
//        accuracy points against rewinding them (the better of A2 / A3) at every r ≥ 1 %; A3
//        recovers to within 3 points of the same defense trained from scratch at every r ≤ 5 %;
//        M2 is within 3 points of M1; and M3 is more than 5 points below M2. Intervals: the
//        test set's binomial error (two independent proportions; training randomness not in it).
//  (iv)  Defense + CWRF beats the defense alone on privacy at equal utility: for every CWRF
//        row, (privacy) LiRA's or RMIA's AUC is lower (interval below 0) and neither is higher
//        (interval above 0); (utility) the test accuracy is not lower by more than the
//        experiment's rate_tolerance. Intervals: the report's paired bootstrap.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cwrf::experiment {

enum class Judgement { Holds, DoesNotHold, Inconclusive, NotEvaluated };
std::string to_string(Judgement j);  // "holds", "does not hold", "inconclusive", "not evaluated"

struct Interval {
  double estimate = 0.0, low = 0.0, high = 0.0;
};

Judgement above(const Interval& d, double margin);    // d > margin
Judgement within(const Interval& d, double tolerance);  // |d| <= tolerance
Judgement combine(const std::vector<Judgement>& parts);  // all hold / any does not / else inconclusive

struct VerdictPart {
  std::string what;  // "ResNet18: top 5 % PVE share 0.62 [0.58, 0.66] > 0.5"
  Judgement judgement = Judgement::NotEvaluated;
};

struct Verdict {
  std::string claim;      // "i" .. "iv"
  std::string statement;  // the paper's claim, in words
  std::string rule;       // how it is judged, in words
  Judgement judgement = Judgement::NotEvaluated;
  std::vector<VerdictPart> parts;
  std::string line() const;  // "(i) ... — holds: part; part"
  nlohmann::json to_json() const;
};

// ---- The evidence each claim is judged on ----

struct ConcentrationEvidence {
  std::string model;
  Interval top5_share;  // share of all PVE score on the top 5 % of weights
};
Verdict judge_concentration(const std::vector<ConcentrationEvidence>& models);

struct EntanglementEvidence {
  std::string model;
  Interval pcc_all;
  std::string main_kind;       // "conv" | "attention+mlp"
  Interval main_minus_norm;    // PCC(main) - PCC(norm)
  bool has_norm = true;
};
Verdict judge_entanglement(const std::vector<EntanglementEvidence>& models);

struct LocationEvidence {
  // Per rate: the rate and A1's shortfall against max(A2, A3) (accuracy, fraction) — rates ≥ 1 %.
  std::vector<std::pair<double, Interval>> removal_cost;
  // Per rate ≤ 5 %: A3's accuracy minus the defense from scratch.
  std::vector<std::pair<double, Interval>> a3_vs_scratch;
  bool has_ablation = false;
  Interval m2_minus_m1, m2_minus_m3;
  bool has_lottery = false;
};
Verdict judge_location(const LocationEvidence& e);

struct DefensePairEvidence {
  std::string row, alone;
  Interval test_acc, lira_auc, rmia_auc;  // CWRF row minus the defense alone
};
Verdict judge_defense(const std::vector<DefensePairEvidence>& pairs, double utility_tolerance);

// The difference of two accuracies measured on test sets of n_a and n_b examples, with its 95 %
// interval (normal approximation to two independent binomial proportions).
Interval accuracy_difference(double a, int64_t n_a, double b, int64_t n_b);

}  // namespace cwrf::experiment
