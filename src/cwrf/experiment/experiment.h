// A whole experiment, as `cwrf run CONFIG.toml` reads it: the base model config (any key of
// `cwrf config keys`, at the top level of the file), the experiment's shape ([experiment]:
// K models, runs, parallel jobs, output folder), the attacks ([attack]: the attack settings
// table, attack/settings.h) and the rows of the final table ([[row]]: a name, a defense with
// its hyper-parameters, optionally CWRF with its r, λ, T, E). Every row trains all K models with
// the same pipeline, so the attack is adaptive. The paper's analyses are [[analysis]] tables
// (kind = correlation | pruning | lottery | ablation | rewinding, its knobs, config keys of the
// model it analyses); an [analyses] table holds the keys they all share. They become jobs of the
// same graph (plan.h) and the paper report (paper_report.h).
//
//   epochs = 10
//   [model]
//   name = "cnn"
//   [experiment]
//   models = 9
//   [attack]
//   targets = 9
//   [[row]]
//   name = "RelaxLoss + CWRF"
//   defense = { name = "relaxloss", alpha = 0.5 }
//   cwrf = { rate = 0.05, epochs = 6 }
//   [analyses]
//   data = { train_size = 5000 }
//   [[analysis]]
//   kind = "pruning"
//   sparsities = [0.0, 0.5, 0.8]
//
// Every key of every table is validated when the file is read, before any job starts.
#pragma once

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
  // CWRF rows given a list (`rate = [0.01, 0.03, 0.05]`): the candidate rates, chosen from per run
  // by the rule of selection.h. Empty: the row's one rate is its cwrf.rate override (or default).
  std::vector<double> rates;
};

// An [[analysis]] of the experiment (analyses.h: correlation, pruning, lottery, ablation,
// rewinding): its kind, its name (its folder under <out>/analyses), the config keys of its model
// (model.*, data.*, ... on the base config: the base model k = 0 of run 0 when none) and of the
// models it derives (defense.*, cwrf.*), and its own knobs (the kind's table, e.g. sparsities).
struct AnalysisEntry {
  std::string kind;
  std::string name;
  config::Json model_overrides = config::Json::object();
  config::Json derived_overrides = config::Json::object();
  config::Json knobs = config::Json::object();  // flat {"<kind>.<knob>": value}, validated
};

// The [experiment] keys (experiment.name, .models, .runs, .jobs, .threads, .out).
const config::Schema& experiment_schema();

struct Experiment {
  std::filesystem::path source;  // the TOML file
  config::Config settings;       // over experiment_schema()
  config::Config base;           // every model's config before the row's overrides (job::schema())
  config::Config attack;         // over attack::attack_schema()
  config::Config executor;       // over executor_schema() (executor.h): where the jobs run, never what they compute
  std::vector<Row> rows;
  std::vector<AnalysisEntry> analyses;

  Experiment();
  std::string name() const { return settings.get_string("experiment.name"); }
  int64_t models() const { return settings.get_int("experiment.models"); }  // K (paper: 8 shadows + the target)
  int64_t runs() const { return settings.get_int("experiment.runs"); }      // independent runs (paper: 3)
  std::filesystem::path out() const { return settings.get_string("experiment.out"); }
  // The targets attacked per run (attack.targets; 0 = every model).
  int64_t targets() const;
};

// Reads and validates an experiment file; `set` are "key=value" overrides of the base config
// (or of experiment.* / attack.* / executor.* settings). Every error names the file and the key or row.
Experiment read_experiment(const std::filesystem::path& path, const std::vector<std::string>& set = {});

// The row that trains row `row`'s defense from scratch: not CWRF, the same defense.* / dp.* keys.
// -1 when there is none. (A CWRF row's comparison, and its reference when choosing r.)
int defense_alone_row(const Experiment& experiment, size_t row);

// The attack settings of one run (the run number offsets attack.seed: fresh bootstrap and
// population draws per run).
config::Config attack_settings(const Experiment& experiment, int64_t run);

// The effective experiment as JSON (for the report), with every row's overrides.
nlohmann::json experiment_json(const Experiment& experiment);

}  // namespace cwrf::experiment
