// Membership splits for shadow-model attacks (docs/ALGORITHMS.md §4, LiRA's scheme).
//
// From the official training file: a pool of P points shared by K models; model k trains
// on the pool points with keep[k] set, and each pool point is IN for exactly floor(K/2)
// models (K >= 2; K = 1 trains on the whole pool). Each model also gets a reference set
// (non-members for CWRF's PVE and for PAST) drawn from the training-file points outside
// the pool, so it is disjoint from its training set and from every attacked point. The
// test set is the official test file. An optional validation set, also outside the pool and
// disjoint from every reference set, serves hyper-parameter sweeps, so that choosing a
// defense's settings never looks at attacked members or non-members.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf::data {

struct SplitOptions {
  int64_t num_available = 0;  // rows in the training file
  int64_t pool_size = 0;      // P
  int64_t num_models = 1;     // K
  int64_t ref_size = 0;       // reference points per model
  int64_t val_size = 0;       // validation points (for hyper-parameter sweeps), shared by all models
  uint64_t seed = 0;          // the split seed, shared by all K models
};

struct Split {
  torch::Tensor pool;                   // int64 [P]: training-file rows
  torch::Tensor keep;                   // bool [K, P]: keep[k][j] = pool[j] trains model k
  torch::Tensor reserve;                // int64: training-file rows outside the pool
  torch::Tensor validation;             // int64 [val_size]: the first rows of reserve; in no reference set
  std::vector<torch::Tensor> reference; // K x int64 [ref_size], each a subset of reserve minus validation
};

// Throws Error naming the option when the sizes cannot fit (pool + ref_size > num_available, K < 1, ...).
Split make_split(const SplitOptions& options);

// Training-file rows model k trains on, ascending.
torch::Tensor train_indices(const Split& split, int64_t model);

// Models' IN count per point: floor(K/2) for K >= 2 (the LiRA reference: order < int(0.5 K)), 1 for K = 1.
int64_t in_models_per_point(int64_t num_models);

// The pool size that gives each model `train_size` points in expectation: train_size*K/in_models_per_point(K).
int64_t pool_size_for(int64_t train_size, int64_t num_models);

// Per-model sizes of the paper's Table 4 (training, reference), and this project's choice for
// Fashion-MNIST (no published value). Throws Error for a dataset without a preset.
struct SplitSizes {
  int64_t train = 0;
  int64_t reference = 0;
};
SplitSizes table4_sizes(const std::string& dataset);

}  // namespace cwrf::data
