// The metric attacks as a family (metric_attacks.h): loss, confidence, entropy and modified
// entropy, each with class-dependent thresholds fitted on the shadows.
#include "cwrf/attack/family.h"
#include "cwrf/attack/metric_attacks.h"

namespace cwrf::attack {

namespace {

// ½(Pr_members[score ≥ 0] + Pr_non-members[score < 0]): the fitted thresholds' operating point.
double accuracy_at_zero(const std::vector<double>& scores, const std::vector<uint8_t>& members) {
  double tp = 0, tn = 0, p = 0, n = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (members[i]) {
      ++p;
      tp += scores[i] >= 0 ? 1 : 0;
    } else {
      ++n;
      tn += scores[i] < 0 ? 1 : 0;
    }
  }
  return 0.5 * ((p > 0 ? tp / p : 0.0) + (n > 0 ? tn / n : 0.0));
}

const SignalArray& statistic_of(const Statistics& stats, MetricKind kind) {
  switch (kind) {
    case MetricKind::kLoss: return stats.loss;
    case MetricKind::kConfidence: return stats.confidence;
    case MetricKind::kEntropy: return stats.entropy;
    case MetricKind::kModifiedEntropy: return stats.modified_entropy;
  }
  return stats.loss;
}

}  // namespace

AttackFamily metric_family() {
  AttackFamily f;
  f.name = "metric";
  f.description = "metric attacks with class-dependent thresholds (Song & Mittal 2021)";
  std::vector<std::string> all;
  for (MetricKind k : all_metrics()) all.push_back(metric_name(k));
  f.settings = {{"attack.metrics", config::Type::StringList, all, "metric attacks", all}};
  f.variants = [](const config::Config& c) {
    std::vector<Variant> out;
    for (const std::string& name : c.get_strings("attack.metrics"))
      out.push_back({metric_name(parse_metric(name)), {{"class_dependent_thresholds", true}}});
    return out;
  };
  f.shortfall = [](const config::Config&, const Variant& v, const ShadowSplit& s) -> std::string {
    if (s.in_count >= 1 && s.out_count >= 1) return "";
    return "metric attack (" + v.name + ") for target model " + std::to_string(s.target) +
           " needs IN and OUT shadow models for every example, has " + std::to_string(s.in_count) + " IN and " +
           std::to_string(s.out_count) + " OUT";
  };
  f.prepare = [](const config::Config&, const AttackInputs& in) -> TargetScorer {
    return [&in](const Variant& v, const ShadowSplit& s) {
      const MetricKind kind = parse_metric(v.name);
      MetricResult m = metric_attack(statistic_of(*in.stats, kind), kind, in.label_list, in.classes, s);
      TargetScores out;
      out.threshold_accuracy = accuracy_at_zero(m.scores, target_membership(*in.membership, s.target));
      out.scores = std::move(m.scores);
      return out;
    };
  };
  return f;
}

}  // namespace cwrf::attack
