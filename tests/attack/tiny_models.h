// Tiny real model directories for the attack tests: K models of one split, trained for one
// epoch on a small synthetic IDX dataset (a second or two). Header-only: tests/CMakeLists.txt
// compiles the *_test.cpp files and test_support.cpp.
#pragma once

#include "cwrf/config/keys.h"
#include "cwrf/train/train_job.h"
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
  config::Config c(config::schema());
  c.set("data.name", "idx");
  c.set("data.path", data.string());
  c.set("data.train_size", 60);
  c.set("data.ref_size", 20);
  c.set("split.models", k);
  c.set("split.model", m);
  c.set("epochs", 1);
  c.set("batch_size", 32);
  c.set("lr", 3e-3);
  c.set("model.width", 4);
  c.set("threads", 1);
  return c;
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
    out.models.push_back(train::run_train_job(c, out.dir / "runs").dir);
  }
}

}  // namespace cwrf::attack::testing
