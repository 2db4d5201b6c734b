// Every config key of a model job, composed from the tables of the stages that own them:
// data.* and split.* (data/), model.* (models/), training and defense.* / dp.* (train/),
// cwrf.* (weights/), and the runtime keys below. It sits above those stages so that none of
// them depends on another's keys.
#pragma once

#include "cwrf/config/config.h"

namespace cwrf::job {

// All known keys of a model's config (the schema of `cwrf config keys`, config.toml, --set).
const config::Schema& schema();

}  // namespace cwrf::job
