#include "cwrf/experiment/selection.h"

#include "cwrf/common/error.h"
#include "cwrf/common/mean_sd.h"

#include <cmath>

namespace cwrf::experiment {

namespace {

double value(const nlohmann::json& metrics, const char* key) {
  return metrics.is_object() && metrics.contains(key) && metrics.at(key).is_number() ? metrics.at(key).get<double>()
                                                                                     : std::nan("");
}

}  // namespace

size_t choose_rate(const std::vector<RateCandidate>& c, double reference_val_acc, double tolerance,
                   bool* within_tolerance) {
  require(!c.empty(), "choose_rate: no candidates");
  int best_within = -1;
  size_t best_accuracy = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].val_acc >= reference_val_acc - tolerance && (best_within < 0 || c[i].rate > c[best_within].rate))
      best_within = static_cast<int>(i);
    if (c[i].val_acc > c[best_accuracy].val_acc) best_accuracy = i;
  }
  if (within_tolerance) *within_tolerance = best_within >= 0;
  return best_within >= 0 ? static_cast<size_t>(best_within) : best_accuracy;
}

bool select_rate(const Experiment& e, const Plan& plan, const std::vector<nlohmann::json>& metrics, size_t row,
                 int64_t run, RateSelection& out) {
  out = RateSelection{};
  out.row = row;
  out.run = run;
  out.tolerance = e.settings.get_float("experiment.rate_tolerance");
  const int reference = defense_alone_row(e, row);
  out.reference = reference >= 0 ? e.rows[reference].name : "base models (cross-entropy)";
  std::map<double, std::vector<const nlohmann::json*>> by_rate;
  std::vector<const nlohmann::json*> references;
  const int64_t selection_models = std::min<int64_t>(e.models(), e.settings.get_int("experiment.rate_models"));
  for (size_t j = 0; j < plan.jobs.size(); ++j) {
    const PlannedJob& job = plan.jobs[j];
    if (job.run != run || job.model >= selection_models || job.model < 0 || job.kind == "attack") continue;
    const bool is_candidate = job.row == static_cast<int>(row) && job.candidate;
    const bool is_reference = reference >= 0 ? job.row == reference : (job.row < 0 && job.kind == "train");
    if (!is_candidate && !is_reference) continue;
    if (metrics[j].is_null()) return false;  // still to run
    (is_candidate ? by_rate[job.rate] : references).push_back(&metrics[j]);
  }
  if (by_rate.empty() || references.empty()) return false;
  std::vector<double> ref_val;
  for (const auto* m : references) ref_val.push_back(value(*m, "val_acc"));
  out.reference_val_acc = mean_sd(ref_val).mean;
  for (const auto& [rate, ms] : by_rate) {
    std::vector<double> val, test, rewound;
    for (const auto* m : ms) {
      val.push_back(value(*m, "val_acc"));
      test.push_back(value(*m, "test_acc"));
      rewound.push_back(value(*m, "rewound_test_acc"));
    }
    out.candidates.push_back({rate, mean_sd(val).mean, mean_sd(test).mean, mean_sd(rewound).mean});
  }
  for (const RateCandidate& c : out.candidates)
    require(std::isfinite(c.val_acc) && std::isfinite(out.reference_val_acc),
            "rate selection needs validation accuracy: set data.val_size > 0");
  out.chosen = out.candidates[choose_rate(out.candidates, out.reference_val_acc, out.tolerance, &out.within_tolerance)].rate;
  return true;
}

nlohmann::json selection_json(const RateSelection& s, const Experiment& e) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const RateCandidate& c : s.candidates)
    candidates.push_back({{"rate", c.rate}, {"val_acc", c.val_acc}, {"test_acc", c.test_acc},
                          {"rewound_test_acc", c.rewound_test_acc}, {"chosen", c.rate == s.chosen}});
  return {{"row", e.rows[s.row].name}, {"run", s.run}, {"reference", s.reference},
          {"reference_val_acc", s.reference_val_acc}, {"tolerance", s.tolerance}, {"chosen", s.chosen},
          {"within_tolerance", s.within_tolerance}, {"candidates", candidates}};
}

}  // namespace cwrf::experiment
