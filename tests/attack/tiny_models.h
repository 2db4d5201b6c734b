// Tiny real model directories for the attack tests: K models of one split, trained for one
// epoch on a small synthetic IDX dataset (a second or two). Header-only: tests/CMakeLists.txt
// compiles the *_test.cpp files and test_support.cpp.
#pragma once

#include "cwrf/job/keys.h"
#include "cwrf/job/model_job.h"
#include "test_support.h"

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::attack::testing {

struct TinyModels {
  cwrf::testing::TempDir dir;
  std::vector<std::filesystem::path> models;  // split.model 0 .. K-1, in order
  std::filesystem::path data;                 // the IDX files
};

inline config::Config tiny_config(const std::filesystem::path& data, int64_t k, int64_t m) {
  return cwrf::testing::tiny_idx_config(data, {{"data.train_size", 60},
                                               {"data.ref_size", 20},
                                               {"split.models", k},
                                               {"split.model", m},
                                               {"epochs", 1},
                                               {"lr", 3e-3}});
}

// Trains K models (split.models = K, split.model = 0..K-1) on an 8x8, 3-class dataset into
// out.dir/runs; `overrides` are extra assignments such as "split.seed=1".
inline void train_tiny_models(TinyModels& out, int64_t k, const std::vector<std::string>& overrides = {},
                              unsigned data_seed = 1) {
  out.data = out.dir / "data";
  cwrf::testing::write_synthetic_idx_dataset(out.data, 400, 60, 8, 3, data_seed);
  for (int64_t m = 0; m < k; ++m) {
    config::Config c = tiny_config(out.data, k, m);
    for (const auto& a : overrides) c.set_assignment(a);
    out.models.push_back(job::run_model_job(c, out.dir / "runs", {}).dir);
  }
}

}  // namespace cwrf::attack::testing
