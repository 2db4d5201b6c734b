#include "cwrf/experiment/verdicts.h"

#include <fmt/format.h>

#include <cmath>

namespace cwrf::experiment {

namespace {

bool finite(const Interval& d) { return std::isfinite(d.estimate) && std::isfinite(d.low) && std::isfinite(d.high); }

std::string pct(const Interval& d) {
  return fmt::format("{:+.2f} [{:+.2f}, {:+.2f}]", d.estimate * 100, d.low * 100, d.high * 100);
}

std::string plain(const Interval& d) { return fmt::format("{:.3f} [{:.3f}, {:.3f}]", d.estimate, d.low, d.high); }

VerdictPart part(std::string what, Judgement j) { return {std::move(what), j}; }

Verdict finish(Verdict v) {
  std::vector<Judgement> js;
  for (const VerdictPart& p : v.parts) js.push_back(p.judgement);
  v.judgement = js.empty() ? Judgement::NotEvaluated : combine(js);
  return v;
}

}  // namespace

std::string to_string(Judgement j) {
  switch (j) {
    case Judgement::Holds: return "holds";
    case Judgement::DoesNotHold: return "does not hold";
    case Judgement::Inconclusive: return "inconclusive";
    case Judgement::NotEvaluated: return "not evaluated";
  }
  return "?";
}

Judgement above(const Interval& d, double margin) {
  if (!finite(d)) return Judgement::Inconclusive;
  if (d.low > margin) return Judgement::Holds;
  if (d.high < margin) return Judgement::DoesNotHold;
  return Judgement::Inconclusive;
}

Judgement within(const Interval& d, double tolerance) {
  if (!finite(d)) return Judgement::Inconclusive;
  if (d.low >= -tolerance && d.high <= tolerance) return Judgement::Holds;
  if (d.low > tolerance || d.high < -tolerance) return Judgement::DoesNotHold;
  return Judgement::Inconclusive;
}

Judgement combine(const std::vector<Judgement>& parts) {
  bool all_hold = !parts.empty();
  for (Judgement j : parts) {
    if (j == Judgement::DoesNotHold) return Judgement::DoesNotHold;
    all_hold &= j == Judgement::Holds;
  }
  return all_hold ? Judgement::Holds : Judgement::Inconclusive;
}

std::string Verdict::line() const {
  std::string details;
  for (const VerdictPart& p : parts) details += fmt::format("{}{} ({})", details.empty() ? "" : "; ", p.what, to_string(p.judgement));
  return fmt::format("({}) {} — **{}**{}", claim, statement, to_string(judgement),
                     details.empty() ? "" : ": " + details);
}

nlohmann::json Verdict::to_json() const {
  nlohmann::json ps = nlohmann::json::array();
  for (const VerdictPart& p : parts) ps.push_back({{"what", p.what}, {"judgement", to_string(p.judgement)}});
  return {{"claim", claim}, {"statement", statement}, {"rule", rule}, {"judgement", to_string(judgement)}, {"parts", ps}};
}

Verdict judge_concentration(const std::vector<ConcentrationEvidence>& models) {
  Verdict v;
  v.claim = "i";
  v.statement = "privacy vulnerability sits in a small fraction of the weights";
  v.rule = "for every analysed model, the top 5 % of weights by PVE hold more than half of all PVE score (uniform "
           "scores: 5 %); 95 % bootstrap interval over the weights";
  for (const ConcentrationEvidence& m : models)
    v.parts.push_back(part(fmt::format("{}: top-5 % PVE share {} > 0.5", m.model, plain(m.top5_share)),
                           above(m.top5_share, 0.5)));
  return finish(v);
}

Verdict judge_entanglement(const std::vector<EntanglementEvidence>& models) {
  Verdict v;
  v.claim = "ii";
  v.statement = "the privacy-vulnerable weights are also learnability-critical";
  v.rule = "for every analysed model, PCC(PVE, TFO) over all weights > 0.5, and the main components (conv; "
           "attention+MLP) correlate more than the normalization layers; 95 % bootstrap intervals over the weights";
  for (const EntanglementEvidence& m : models) {
    v.parts.push_back(part(fmt::format("{}: PCC all {} > 0.5", m.model, plain(m.pcc_all)), above(m.pcc_all, 0.5)));
    if (m.has_norm)
      v.parts.push_back(part(fmt::format("{}: PCC {} − PCC norm {} > 0", m.model, m.main_kind, plain(m.main_minus_norm)),
                             above(m.main_minus_norm, 0.0)));
  }
  return finish(v);
}

Verdict judge_location(const LocationEvidence& e) {
  Verdict v;
  v.claim = "iii";
  v.statement = "the critical weights' location, not their value, carries the accuracy";
  v.rule = "A1 (remove) is more than 10 points below the better of A2 / A3 (rewind) at every r ≥ 1 %; A3 is within 3 "
           "points of the defense from scratch at every r ≤ 5 %; |M2 − M1| ≤ 3 points; M2 − M3 > 5 points; 95 % "
           "intervals from the test-set size";
  if (e.has_ablation) {
    for (const auto& [rate, d] : e.removal_cost)
      v.parts.push_back(part(fmt::format("r = {:g} %: max(A2, A3) − A1 = {} points > 10", rate * 100, pct(d)),
                             above(d, 0.10)));
    for (const auto& [rate, d] : e.a3_vs_scratch)
      v.parts.push_back(part(fmt::format("r = {:g} %: A3 − scratch = {} points ≥ −3", rate * 100, pct(d)),
                             above(d, -0.03)));
  }
  if (e.has_lottery) {
    v.parts.push_back(part(fmt::format("M2 − M1 = {} points, |·| ≤ 3", pct(e.m2_minus_m1)), within(e.m2_minus_m1, 0.03)));
    v.parts.push_back(part(fmt::format("M2 − M3 = {} points > 5", pct(e.m2_minus_m3)), above(e.m2_minus_m3, 0.05)));
  }
  return finish(v);
}

Verdict judge_defense(const std::vector<DefensePairEvidence>& pairs, double tolerance) {
  Verdict v;
  v.claim = "iv";
  v.statement = "defense + CWRF beats the defense alone on privacy at equal utility";
  v.rule = fmt::format("for every CWRF row against its defense alone: LiRA's or RMIA's AUC significantly lower and "
                       "neither significantly higher, and test accuracy not lower by more than {:g} points "
                       "(experiment.rate_tolerance); 95 % paired bootstrap intervals",
                       tolerance * 100);
  for (const DefensePairEvidence& p : pairs) {
    // Privacy: lower is better, so "lower" is the negated difference above 0.
    const Interval lira{-p.lira_auc.estimate, -p.lira_auc.high, -p.lira_auc.low};
    const Interval rmia{-p.rmia_auc.estimate, -p.rmia_auc.high, -p.rmia_auc.low};
    const Judgement lira_lower = above(lira, 0.0), rmia_lower = above(rmia, 0.0);
    const bool some_higher = above(p.lira_auc, 0.0) == Judgement::Holds || above(p.rmia_auc, 0.0) == Judgement::Holds;
    Judgement privacy = Judgement::Inconclusive;
    if (some_higher) privacy = Judgement::DoesNotHold;
    else if (lira_lower == Judgement::Holds || rmia_lower == Judgement::Holds) privacy = Judgement::Holds;
    v.parts.push_back(part(fmt::format("{} vs {}: Δ LiRA AUC {}, Δ RMIA AUC {} points", p.row, p.alone, pct(p.lira_auc),
                                       pct(p.rmia_auc)),
                           privacy));
    v.parts.push_back(part(fmt::format("{} vs {}: Δ test acc. {} points ≥ −{:g}", p.row, p.alone, pct(p.test_acc),
                                       tolerance * 100),
                           above(p.test_acc, -tolerance)));
  }
  return finish(v);
}

Interval accuracy_difference(double a, int64_t n_a, double b, int64_t n_b) {
  const double se = std::sqrt(a * (1 - a) / static_cast<double>(std::max<int64_t>(n_a, 1)) +
                              b * (1 - b) / static_cast<double>(std::max<int64_t>(n_b, 1)));
  const double d = a - b;
  return {d, d - 1.959964 * se, d + 1.959964 * se};
}

}  // namespace cwrf::experiment
