#include "cwrf/data/split.h"

#include "cwrf/common/error.h"
#include "cwrf/common/seed.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::data {

int64_t in_models_per_point(int64_t num_models) {
  if (num_models < 1) throw Error(fmt::format("split.models must be >= 1 (got {})", num_models));
  // LiRA (tensorflow/privacy research/mi_lira_2021/train.py): keep = order < int(pkeep * K), pkeep = 0.5.
  return num_models == 1 ? 1 : num_models / 2;
}

int64_t pool_size_for(int64_t train_size, int64_t num_models) {
  if (train_size < 1) throw Error(fmt::format("training size must be >= 1 (got {})", train_size));
  return train_size * num_models / in_models_per_point(num_models);
}

Split make_split(const SplitOptions& options) {
  const int64_t k = options.num_models;
  const int64_t n = options.num_available;
  const int64_t p = options.pool_size;
  const int64_t r = options.ref_size;
  const int64_t v = options.val_size;
  if (k < 1) throw Error(fmt::format("split.models must be >= 1 (got {})", k));
  if (n < 1) throw Error(fmt::format("split: the training file has no rows ({})", n));
  if (p < 1) throw Error(fmt::format("data.pool_size must be >= 1 (got {})", p));
  if (r < 0) throw Error(fmt::format("data.ref_size must be >= 0 (got {})", r));
  if (v < 0) throw Error(fmt::format("data.val_size must be >= 0 (got {})", v));
  if (p > n)
    throw Error(fmt::format("data.pool_size = {} exceeds the {} rows of the training file", p, n));
  if (p + r + v > n)
    throw Error(fmt::format("data.pool_size + data.ref_size + data.val_size = {} + {} + {} = {} exceeds the {} rows "
                            "of the training file (reference and validation points come from outside the pool)",
                            p, r, v, p + r + v, n));

  const auto long_options = torch::TensorOptions().dtype(torch::kInt64);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  Split split;
  torch::Tensor perm = torch::randperm(n, generator, long_options);
  split.pool = perm.narrow(0, 0, p).clone();
  split.reserve = perm.narrow(0, p, n - p).clone();
  split.validation = std::get<0>(split.reserve.narrow(0, 0, v).sort());
  const torch::Tensor reference_source = split.reserve.narrow(0, v, n - p - v);

  // docs/ALGORITHMS.md §4 (LiRA's train.py): U ~ Uniform(K, P), keep = argsort(U, axis=0) < K/2.
  // Each column of the argsort is a permutation of 0..K-1, so every pool point is IN for exactly
  // in_models_per_point(K) models, and which ones is uniform.
  torch::Tensor u = torch::rand({k, p}, generator, torch::TensorOptions().dtype(torch::kFloat64));
  split.keep = torch::argsort(u, /*dim=*/int64_t{0}, /*descending=*/false) < in_models_per_point(k);

  // Each model's reference set has its own stream, seeded from (seed, model): adding models
  // to an experiment leaves the existing models' reference sets unchanged.
  const int64_t reserve_size = reference_source.size(0);
  for (int64_t model = 0; model < k; ++model) {
    auto model_generator = at::make_generator<at::CPUGeneratorImpl>(
        derive_seed(options.seed, SeedDomain::kReferenceSet, static_cast<uint64_t>(model)));
    torch::Tensor pick = torch::randperm(reserve_size, model_generator, long_options).narrow(0, 0, r);
    split.reference.push_back(std::get<0>(reference_source.index_select(0, pick).sort()));
  }
  return split;
}

torch::Tensor train_indices(const Split& split, int64_t model) {
  const int64_t k = split.keep.size(0);
  if (model < 0 || model >= k)
    throw Error(fmt::format("model index {} is out of range (the split has {} models)", model, k));
  return std::get<0>(split.pool.masked_select(split.keep[model]).sort());
}

SplitSizes table4_sizes(const std::string& dataset) {
  // Paper, Table 4 (per-model training / reference sizes); Fashion-MNIST is this project's choice.
  if (dataset == "cifar10") return {18000, 2000};
  if (dataset == "cifar100") return {18000, 4000};
  if (dataset == "cinic10") return {25000, 5000};
  if (dataset == "fashion-mnist") return {10000, 2000};
  // Text: the paper gives no sizes for DBpedia-14 (App. C.2); CINIC-10's are used. SpamAssassin
  // (4,837 training messages) fits 9 models' pool (1,000 x 9 / 4 = 2,250) plus 500 reference.
  if (dataset == "dbpedia14") return {25000, 5000};
  if (dataset == "spam-assassin") return {1000, 500};
  throw Error(fmt::format("no Table 4 split sizes for dataset '{}' (presets: cifar10, cifar100, cinic10, "
                          "fashion-mnist, dbpedia14, spam-assassin); set data.train_size and data.ref_size",
                          dataset));
}

}  // namespace cwrf::data
