// The job graph of an experiment. Every job is content-identified (equal identity = the same
// job, planned once) and names the jobs whose outputs it takes, so work is shared: the
// "No Defense" row's models are the base models every CWRF row starts from, two rows asking for
// the same model train it once, and an attack job waits for exactly its K models.
//
// Job kinds (child_job.h runs them): "train" (a model from scratch), "cwrf" (a model derived
// from its parent by the CWRF step), "attack" (one row and run: the K models' signals and every
// selected attack), "analysis" (an [[analysis]] of analyses.h: the analysed model first, then
// the models its kind derives from it).
//
// Seeds: run r uses split.seed = base split.seed + r (a fresh membership split per run) and
// model k of run r uses seed = base seed + 1000·r + k, the same for every row, so rows differ
// only by their defense.
//
// A CWRF row with several rates (`cwrf = { rate = [0.01, 0.03, 0.05] }`) is planned in two
// steps: first each candidate rate on the run's first experiment.rate_models models
// ("selection models"); once those are done the rule (selection.h) picks one rate per run, and
// the plan made again with that choice holds the row's K models at it and its attack.
#pragma once

#include "cwrf/experiment/experiment.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cwrf::experiment {

struct PlannedJob {
  std::string kind;          // "train" | "cwrf" | "attack" | "analysis"
  // train: the full flat config; cwrf: overrides of the parent's; attack: the settings;
  // analysis: {"analysis": kind, "name", "knobs", "derived": the derived models' keys, "roles": per derived input}
  nlohmann::json config;
  std::vector<int> inputs;   // jobs whose outputs it takes: cwrf [parent]; attack the K models in order
  double cost = 0.0;         // work in training-epoch equivalents (progress estimates)
  std::string label;         // e.g. "RelaxLoss · run 1 · model 3"
  std::string identity;      // canonical text: equal identity = the same job
  std::string out;           // attack: its folder name under <out>/attacks; analysis: under <out>/analyses
  // Where it belongs (report and rate selection): row index (-1: a base model), run, model k,
  // and for CWRF candidates the rate.
  int row = -1;
  int64_t run = 0;
  int64_t model = -1;
  double rate = -1.0;
  bool candidate = false;
};

// The chosen rate of each (row, run) whose candidates have been decided.
using RateChoices = std::map<std::pair<size_t, int64_t>, double>;

struct Plan {
  std::vector<PlannedJob> jobs;  // inputs before the jobs that take them
  // Attack job index per (row, run); absent while the row's rate is undecided.
  std::map<std::pair<size_t, int64_t>, int> attacks;
  std::map<std::string, int> analyses;  // analysis job index by the entry's name
  double total_cost() const;
};

Plan make_plan(const Experiment& experiment, const RateChoices& chosen = {});

// The K model jobs of a (row, run) at its rate: candidates and chosen. Used by the runner to read
// a row's models, in model order.
std::vector<int> row_models(const Plan& plan, size_t row, int64_t run);

}  // namespace cwrf::experiment
