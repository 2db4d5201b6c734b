// The training objectives by name, with the config keys each one owns (defense.<knob>).
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/train/objective.h"

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
};

const std::vector<ObjectiveInfo>& objective_infos();

// All defense.* options of all objectives, merged by key (for the schema).
std::vector<config::Option> objective_options();

// Builds the objective named by config `defense`, after checking that no defense.* key
// belonging to another objective was set. Throws Error naming the culprit.
std::unique_ptr<Objective> make_objective(config::Config& config);

}  // namespace cwrf::train
