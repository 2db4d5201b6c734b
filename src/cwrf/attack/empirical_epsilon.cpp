#include "cwrf/attack/empirical_epsilon.h"

#include "cwrf/common/error.h"
#include "cwrf/common/incomplete_beta.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace cwrf::attack {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_binomial(int64_t k, int64_t n, double level) {
  require(n >= 1, fmt::format("Clopper-Pearson: the number of trials n = {} must be >= 1", n));
  require(k >= 0 && k <= n, fmt::format("Clopper-Pearson: successes k = {} must be in [0, n = {}]", k, n));
  require(level > 0.0 && level < 1.0, fmt::format("Clopper-Pearson: the level {} must be in (0, 1)", level));
}

// log((true − δ)/false), −inf where the numerator is not positive, +inf for a zero denominator.
double log_ratio(double true_rate, double false_rate, double delta) {
  const double numerator = true_rate - delta;
  if (!(numerator > 0.0)) return -kInf;
  if (false_rate <= 0.0) return kInf;
  return std::log(numerator / false_rate);
}

// Offers both forms of one threshold to the running maximum.
void consider(EpsilonWitness& best, const RocCurve& roc, size_t i, double tpr, double fpr, double tnr, double fnr,
              double delta) {
  const double direct = log_ratio(tpr, fpr, delta);
  const double complement = log_ratio(tnr, fnr, delta);
  const bool use_complement = complement > direct;
  const double value = use_complement ? complement : direct;
  if (!(value > best.epsilon)) return;
  best.epsilon = value;
  best.threshold = roc.threshold[i];
  best.true_positives = roc.true_positives[i];
  best.false_positives = roc.false_positives[i];
  best.complement = use_complement;
  best.true_rate = use_complement ? tnr : tpr;
  best.false_rate = use_complement ? fnr : fpr;
}

}  // namespace

double clopper_pearson_lower(int64_t k, int64_t n, double level) {
  check_binomial(k, n, level);
  if (k == 0) return 0.0;
  return inverse_incomplete_beta(static_cast<double>(k), static_cast<double>(n - k + 1), 1.0 - level);
}

double clopper_pearson_upper(int64_t k, int64_t n, double level) {
  check_binomial(k, n, level);
  if (k == n) return 1.0;
  return inverse_incomplete_beta(static_cast<double>(k + 1), static_cast<double>(n - k), level);
}

double per_side_level(double confidence) { return 1.0 - (1.0 - confidence) / 2.0; }

double ClopperPearsonTable::upper(int64_t k, int64_t n) {
  std::vector<double>& v = bounds_[n];
  if (v.empty()) v.assign(static_cast<size_t>(n + 1), -1.0);
  require(k >= 0 && k <= n, fmt::format("Clopper-Pearson: successes k = {} must be in [0, n = {}]", k, n));
  double& b = v[static_cast<size_t>(k)];
  if (b < 0.0) b = clopper_pearson_upper(k, n, level_);
  return b;
}

EmpiricalEpsilon empirical_epsilon(const RocCurve& roc, const EmpiricalEpsilonOptions& options) {
  ClopperPearsonTable table(per_side_level(options.confidence));
  return empirical_epsilon(roc, options, table);
}

EmpiricalEpsilon empirical_epsilon(const RocCurve& roc, const EmpiricalEpsilonOptions& options,
                                   ClopperPearsonTable& table) {
  require(options.confidence > 0.0 && options.confidence < 1.0,
          fmt::format("empirical epsilon: the confidence {} must be in (0, 1)", options.confidence));
  require(options.delta >= 0.0 && options.delta < 1.0,
          fmt::format("empirical epsilon: delta = {} must be in [0, 1)", options.delta));
  require(roc.positives > 0 && roc.negatives > 0,
          fmt::format("empirical epsilon needs members and non-members, got {} and {}", roc.positives, roc.negatives));
  EmpiricalEpsilon out;
  out.members = roc.positives;
  out.non_members = roc.negatives;
  out.confidence = options.confidence;
  out.delta = options.delta;
  // ε = 0 is always a valid lower bound: start there, at the "nobody" threshold.
  out.lower_bound.threshold = out.point.threshold = kInf;
  require(std::abs(table.level() - per_side_level(options.confidence)) < 1e-15,
          "empirical epsilon: the Clopper-Pearson table has another level than the options' confidence");
  const int64_t P = roc.positives, N = roc.negatives;
  // A lower bound on a true rate is one minus the upper bound on the matching false rate.
  for (size_t i = 0; i < roc.size(); ++i) {
    const int64_t tp = roc.true_positives[i], fp = roc.false_positives[i];
    const double fpr_hi = table.upper(fp, N), fnr_hi = table.upper(P - tp, P);
    consider(out.lower_bound, roc, i, 1.0 - fnr_hi, fpr_hi, 1.0 - fpr_hi, fnr_hi, options.delta);
    const double tpr = roc.tpr(i), fpr = roc.fpr(i);
    consider(out.point, roc, i, tpr, fpr, 1.0 - fpr, 1.0 - tpr, options.delta);
  }
  return out;
}

EmpiricalEpsilon empirical_epsilon(const std::vector<double>& scores, const std::vector<uint8_t>& members,
                                   const EmpiricalEpsilonOptions& options) {
  return empirical_epsilon(roc_curve(scores, members), options);
}

}  // namespace cwrf::attack
