// The job graph of an experiment. Model jobs (train from scratch, or CWRF on a base model)
// are identified by everything that determines them, so work is shared: the "No Defense"
// row's models are the base models that every CWRF row starts from, and two rows asking for
// the same model train it once. Attack jobs need the K models of one row and run.
//
// Seeds: run r uses split.seed = base split.seed + r (a fresh membership split per run) and
// model k of run r uses seed = base seed + 1000·r + k, the same for every row, so rows differ
// only by their defense.
#pragma once

#include "cwrf/experiment/experiment.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::experiment {

enum class JobKind { Train, Cwrf };

struct ModelJob {
  JobKind kind = JobKind::Train;
  // Train: the full flat config. Cwrf: the overrides applied to the parent's effective config.
  nlohmann::json config;
  int parent = -1;       // index of the base job a CWRF job starts from
  int64_t epochs = 0;    // training epochs of this job (progress estimates)
  std::string label;     // e.g. "RelaxLoss · run 1 · model 3"
  std::string identity;  // canonical text: equal identity = the same model
};

struct AttackJob {
  size_t row = 0;
  int64_t run = 0;
  std::vector<int> models;  // job index of model k, k = 0..K-1
};

struct Plan {
  std::vector<ModelJob> jobs;  // parents before children
  std::vector<AttackJob> attacks;
  int64_t total_epochs() const;
};

Plan make_plan(const Experiment& experiment);

}  // namespace cwrf::experiment
