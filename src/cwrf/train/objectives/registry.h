// The training objectives by name, with the config keys each one owns (defense.<knob>).
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/train/objective.h"
#include "cwrf/train/step.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cwrf::train {

struct ObjectiveInfo {
  std::string name;         // the value of the `defense` key
  std::string description;  // one line for --help
  // The defense.* keys this objective reads. Their schema default is null: the factory
  // resolves an unset key to the objective's (possibly dataset-dependent) default and
  // writes the value it used back into the config, so the effective config is complete.
  std::vector<config::Option> options;
  std::function<std::unique_ptr<Objective>(config::Config&)> make;
  // How gradients are formed; empty = the standard step. DP-SGD sets it (and resolves its own
  // defense.* / dp.* keys into the config here, like `make` does).
  std::function<std::unique_ptr<StepStrategy>(config::Config&, const StepContext&)> make_step;
};

const std::vector<ObjectiveInfo>& objective_infos();
// Their names, in registry order (the choices of the `defense` key).
std::vector<std::string> objective_names();

// All defense.* options of all objectives, merged by key (for the schema).
std::vector<config::Option> objective_options();

// Builds the objective named by config `defense`, after checking that no defense.* key
// belonging to another objective was set. Throws Error naming the culprit.
std::unique_ptr<Objective> make_objective(config::Config& config);

// The step strategy of the objective named by `defense` (the standard step for most).
std::unique_ptr<StepStrategy> make_step_strategy(config::Config& config, const StepContext& context);

}  // namespace cwrf::train
