// Plain cross-entropy: the "No Defense" objective.
#pragma once

#include "cwrf/train/objectives/registry.h"

namespace cwrf::train {

ObjectiveInfo cross_entropy_info();

}  // namespace cwrf::train
