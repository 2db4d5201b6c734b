// Plumbing shared by the defense objectives (RelaxLoss, HAMP, CCL, PAST): resolving an unset
// defense.* key to its dataset/model preset and writing the value used back into the config
// (so a model's effective config and hash are complete), range checks whose errors name the
// key and the value, and the options that several defenses declare.
#pragma once

#include "cwrf/config/config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::train {

// A preset for one (dataset, model); an empty field matches any value.
struct Preset {
  std::string dataset;  // data.name
  std::string model;    // model.name
  double value = 0.0;
};

// The value of `key`: the config's if set, else the first preset matching the config's
// data.name / model.name, else `fallback` (the reference implementation's default). An unset key
// is written back with the value used.
double resolve_float(config::Config& config, const std::string& key, const std::vector<Preset>& presets,
                     double fallback);
int64_t resolve_int(config::Config& config, const std::string& key, int64_t fallback);
std::string resolve_string(config::Config& config, const std::string& key, const std::string& fallback);

// Throw Error("config key '<key>' must be ..., got <value>") when the value is out of range.
void require_at_least(const std::string& key, double value, double min);         // value >= min
void require_above(const std::string& key, double value, double min);            // value > min
void require_in_closed(const std::string& key, double value, double lo, double hi);  // lo <= value <= hi
void require_in_half_open(const std::string& key, double value, double lo, double hi);  // lo < value <= hi

// defense.alpha means something different for each defense that reads it; one option with one
// help text keeps `cwrf config keys` honest (the registry keeps the first declaration of a key).
config::Option defense_alpha_option();

}  // namespace cwrf::train
