// The model.* config keys (architecture knobs) and their conversion into a ModelSpec.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/models/classifier.h"

#include <vector>

namespace cwrf::models {

std::vector<config::Option> model_keys();

// Architecture knobs only; the data's shape (channels, image size, classes) is filled by the job.
ModelSpec model_spec(const config::Config& config);

}  // namespace cwrf::models
