// The data.* and split.* config keys (docs/ALGORITHMS.md §4; paper Table 4) and their
// conversion into the loaders' options.
#pragma once

#include "cwrf/config/config.h"
#include "cwrf/data/loaders.h"

#include <vector>

namespace cwrf::data {

std::vector<config::Option> data_keys();

// The keys the loaders read (data.name, data.path, file names, tokenisation): equal values give
// equal tensors.
std::vector<std::string> loading_key_names();

DataOptions data_options(const config::Config& config);

}  // namespace cwrf::data
