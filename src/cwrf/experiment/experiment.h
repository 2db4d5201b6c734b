// A whole experiment, as `cwrf run CONFIG.toml` reads it: the base model config (any key of
// `cwrf config keys`, at the top level of the file), the experiment's shape ([experiment]:
// K models, targets, runs, parallel jobs), the attacks ([attack]) and the rows of the final
// table ([[row]]: a name, a defense with its hyper-parameters, optionally CWRF with its r, λ,
// T, E). Every row trains all K models with the same pipeline, so the attack is adaptive.
//
//   epochs = 10
//   [model]
//   name = "cnn"
//   [experiment]
//   models = 9
//   [[row]]
//   name = "RelaxLoss + CWRF"
//   defense = { name = "relaxloss", alpha = 0.5 }
//   cwrf = { rate = 0.05, epochs = 6 }
#pragma once

#include "cwrf/attack/runner.h"
#include "cwrf/config/config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::experiment {

struct Row {
  std::string name;
  config::Json overrides = config::Json::object();  // flat {key: value} applied on the base config
  bool cwrf = false;  // rewind + fine-tune the base (cross-entropy) models instead of training from scratch
};

struct AttackSettings {
  std::vector<std::string> attacks = {"lira", "rmia"};    // lira | rmia | metric
  std::vector<std::string> queries;  // empty: the domain's default (identity, mirror; text: identity)
  double rmia_gamma = 2.0;
  double rmia_offline_a = 0.3;
  int64_t rmia_population = 0;  // 0: every non-member of the target
  int64_t bootstrap = 200;      // resamples for the TPR confidence intervals (0: none)
};

struct Experiment {
  std::string name = "experiment";
  std::filesystem::path source;           // the TOML file
  config::Config base;                    // every model's config before the row's overrides
  int64_t models = 9;                     // K (paper: 8 shadows + the target)
  int64_t targets = 1;                    // leave-one-out targets per run
  int64_t runs = 1;                       // independent runs (seeds); paper: 3
  int64_t jobs = 0;                       // training processes at once (0: one per 2 cores... see plan)
  int64_t threads = 0;                    // total threads (0: all cores)
  std::filesystem::path out = "runs";     // models/, attacks/, report/ go under it
  AttackSettings attack;
  std::vector<Row> rows;

  explicit Experiment(const config::Schema& schema) : base(schema) {}
};

// Reads and validates an experiment file; `set` are "key=value" overrides of the base config
// (or of experiment.* / attack.* settings). Every error names the file and the key or row.
Experiment read_experiment(const std::filesystem::path& path, const std::vector<std::string>& set = {});

// The attack settings of one run as the attack stage takes them (the run number seeds the
// bootstrap and population draws).
attack::AttackPlan attack_plan(const Experiment& experiment, int64_t run);

// The effective experiment as JSON (for the report), with every row's overrides.
nlohmann::json experiment_json(const Experiment& experiment);

}  // namespace cwrf::experiment
