// The choice of r for a CWRF row given several rates (the paper grid-searches r in [1 %, 10 %],
// Sec. 5.1), on data the attacks never score: the validation split (data.val_size points outside
// the pool and every reference set). The rule, per run:
//
//   the largest candidate r whose validation accuracy, averaged over the run's selection models,
//   is at least the reference's minus experiment.rate_tolerance — the reference being the same
//   defense trained from scratch on the same models (the row that differs only by CWRF), or the
//   base (cross-entropy) models when the experiment has no such row;
//   when no candidate is that close, the candidate with the highest validation accuracy.
//
// Rewinding more weights removes more of what the model learnt from its members (Sec. 4.3), so
// the largest r that keeps the defense's utility is the privacy-utility choice the paper's
// comparison (defense vs defense + CWRF at equal utility) asks for.
#pragma once

#include "cwrf/experiment/plan.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::experiment {

struct RateCandidate {
  double rate = 0.0;
  double val_acc = 0.0;           // mean over the selection models
  double test_acc = 0.0;          // the same, for the report only (never used by the rule)
  double rewound_test_acc = 0.0;  // right after rewinding, before fine-tuning
};

struct RateSelection {
  size_t row = 0;
  int64_t run = 0;
  std::vector<RateCandidate> candidates;
  std::string reference;          // the reference row's name, or "base models"
  double reference_val_acc = 0.0;
  double tolerance = 0.0;
  double chosen = 0.0;
  bool within_tolerance = false;  // false: no candidate was close enough; the best one was taken
};

// The rule above on finished metrics (metrics.json of each job, null while not finished).
// Returns false while a needed job is unfinished.
bool select_rate(const Experiment& experiment, const Plan& plan, const std::vector<nlohmann::json>& metrics, size_t row,
                 int64_t run, RateSelection& out);

// The pure rule on numbers: the index of the chosen candidate (rates ascending or not).
size_t choose_rate(const std::vector<RateCandidate>& candidates, double reference_val_acc, double tolerance,
                   bool* within_tolerance = nullptr);

nlohmann::json selection_json(const RateSelection& selection, const Experiment& experiment);

}  // namespace cwrf::experiment
