#include "cwrf/attack/roc.h"

#include "cwrf/common/error.h"
#include "cwrf/common/mean_sd.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace cwrf::attack {

namespace {

void check(const std::vector<double>& scores, const std::vector<uint8_t>& members) {
  require(scores.size() == members.size(),
          fmt::format("roc: {} scores but {} membership flags", scores.size(), members.size()));
  for (double s : scores) require(!std::isnan(s), "roc: a score is NaN");
}

// Indices by descending score.
std::vector<size_t> descending(const std::vector<double>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}


}  // namespace

int64_t allowed_false_positives(double alpha, int64_t negatives) {
  return static_cast<int64_t>(std::floor(alpha * static_cast<double>(negatives) * (1.0 + 1e-12) + 1e-12));
}

double RocCurve::tpr(size_t i) const {
  return positives > 0 ? static_cast<double>(true_positives[i]) / static_cast<double>(positives) : 0.0;
}
double RocCurve::fpr(size_t i) const {
  return negatives > 0 ? static_cast<double>(false_positives[i]) / static_cast<double>(negatives) : 0.0;
}

RocCurve roc_curve(const std::vector<double>& scores, const std::vector<uint8_t>& members) {
  check(scores, members);
  RocCurve roc;
  for (uint8_t m : members) (m ? roc.positives : roc.negatives) += 1;
  roc.threshold.push_back(std::numeric_limits<double>::infinity());
  roc.true_positives.push_back(0);
  roc.false_positives.push_back(0);
  const std::vector<size_t> order = descending(scores);
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    const double t = scores[order[i]];
    for (; i < order.size() && scores[order[i]] == t; ++i) (members[order[i]] ? tp : fp) += 1;
    roc.threshold.push_back(t);
    roc.true_positives.push_back(tp);
    roc.false_positives.push_back(fp);
  }
  return roc;
}

double roc_auc(const RocCurve& roc) {
  double area = 0.0;
  for (size_t i = 1; i < roc.size(); ++i) area += (roc.fpr(i) - roc.fpr(i - 1)) * 0.5 * (roc.tpr(i) + roc.tpr(i - 1));
  return area;
}

double balanced_accuracy(const RocCurve& roc) {
  double best = 0.0;
  for (size_t i = 0; i < roc.size(); ++i) best = std::max(best, 0.5 * (roc.tpr(i) + 1.0 - roc.fpr(i)));
  return best;
}

double tpr_at_fpr(const RocCurve& roc, double alpha) {
  const int64_t budget = allowed_false_positives(alpha, roc.negatives);
  double best = 0.0;
  for (size_t i = 0; i < roc.size() && roc.false_positives[i] <= budget; ++i) best = std::max(best, roc.tpr(i));
  return best;
}

std::vector<Interval> bootstrap_tpr_at_fpr(const std::vector<double>& scores, const std::vector<uint8_t>& members,
                                           const std::vector<double>& levels, int64_t replicates, double confidence,
                                           uint64_t seed) {
  check(scores, members);
  require(confidence > 0.0 && confidence < 1.0, "bootstrap: confidence must be in (0, 1)");
  if (replicates <= 0) return {};
  std::vector<size_t> pos, neg;
  for (size_t i = 0; i < members.size(); ++i) (members[i] ? pos : neg).push_back(i);
  if (pos.empty() || neg.empty()) return std::vector<Interval>(levels.size());
  // Tie blocks in descending order, each as its member and non-member indices: a replicate only
  // changes multiplicities, so the order is computed once.
  const std::vector<size_t> order = descending(scores);
  std::vector<size_t> block_end;  // exclusive ends into `order`
  for (size_t i = 0; i < order.size();) {
    const double t = scores[order[i]];
    while (i < order.size() && scores[order[i]] == t) ++i;
    block_end.push_back(i);
  }
  std::vector<int64_t> budget;
  for (double a : levels) budget.push_back(allowed_false_positives(a, static_cast<int64_t>(neg.size())));

  std::mt19937_64 rng(seed);
  std::vector<uint32_t> weight(scores.size());
  std::vector<std::vector<double>> samples(levels.size());
  std::uniform_int_distribution<size_t> pick_pos(0, pos.size() - 1), pick_neg(0, neg.size() - 1);
  for (int64_t r = 0; r < replicates; ++r) {
    std::fill(weight.begin(), weight.end(), 0u);
    for (size_t k = 0; k < pos.size(); ++k) ++weight[pos[pick_pos(rng)]];
    for (size_t k = 0; k < neg.size(); ++k) ++weight[neg[pick_neg(rng)]];
    std::vector<int64_t> best(levels.size(), 0);
    int64_t tp = 0, fp = 0;
    size_t start = 0;
    for (size_t b = 0; b < block_end.size(); ++b) {
      for (size_t i = start; i < block_end[b]; ++i) (members[order[i]] ? tp : fp) += weight[order[i]];
      start = block_end[b];
      bool any_open = false;
      for (size_t l = 0; l < levels.size(); ++l)
        if (fp <= budget[l]) {
          best[l] = tp;  // tp only grows: the last point within the budget is the best
          any_open = true;
        }
      if (!any_open) break;
    }
    for (size_t l = 0; l < levels.size(); ++l)
      samples[l].push_back(static_cast<double>(best[l]) / static_cast<double>(pos.size()));
  }
  std::vector<Interval> out;
  for (const auto& s : samples) out.push_back({percentile(s, (1.0 - confidence) / 2.0), percentile(s, (1.0 + confidence) / 2.0)});
  return out;
}

RocMetrics evaluate_roc(const std::vector<double>& scores, const std::vector<uint8_t>& members,
                        const RocOptions& options) {
  const RocCurve roc = roc_curve(scores, members);
  RocMetrics m;
  m.auc = roc_auc(roc);
  m.balanced_accuracy = balanced_accuracy(roc);
  m.fpr_levels = options.fpr_levels;
  for (double a : options.fpr_levels) m.tpr.push_back(tpr_at_fpr(roc, a));
  m.tpr_interval = bootstrap_tpr_at_fpr(scores, members, options.fpr_levels, options.bootstrap, options.confidence,
                                        options.seed);
  m.members = roc.positives;
  m.non_members = roc.negatives;
  return m;
}

}  // namespace cwrf::attack
