// The model directories one attack run uses: K models trained on the same data and the same
// membership split (README "Model directories"), checked for consistency, with each model's
// IN/OUT flags over the shared pool exactly as it recorded them (keep.npy, membership.json).
#pragma once

#include "cwrf/attack/arrays.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cwrf::attack {

struct ModelInfo {
  std::filesystem::path path;
  std::string hash;         // manifest "hash"
  int64_t split_model = 0;  // membership.json "model": its row of keep.npy
  nlohmann::json metrics;   // metrics.json (test_acc, train_acc, ...)
};

struct ModelSet {
  std::vector<ModelInfo> models;  // in the order given
  std::string data_fingerprint;   // manifest "data_fingerprint", shared
  std::string pool_hash;          // membership.json "pool_hash", shared
  std::string keep_hash;          // membership.json "keep_hash", shared
  int64_t split_models = 0;       // K of the split (keep.npy rows)
  torch::Tensor pool;             // int64 [P]: training-file rows of the shared pool
  MembershipMask membership;      // [models given, P]: row i = keep[split_model of model i]
};

// Opens and checks the directories. Errors (cwrf::Error) name the directory and the file at
// fault: not a complete model directory, fewer than 2 models, the same directory twice, models
// trained on different data (data_fingerprint) or different splits (pool_hash / keep_hash),
// membership files that disagree with each other (keep.npy vs train_indices.npy) or with their
// recorded hashes.
ModelSet open_model_set(const std::vector<std::filesystem::path>& paths);

}  // namespace cwrf::attack
