#include "cwrf/attack/model_set.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/npy.h"
#include "cwrf/job/model_dir.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <set>

namespace cwrf::attack {

namespace {

nlohmann::json read_json(const fs::path& file) {
  try {
    return nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: malformed JSON: {}", file.string(), e.what()));
  }
}

template <typename T>
T json_field(const nlohmann::json& j, const char* key, const fs::path& file) {
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{}: missing or malformed field '{}'", file.string(), key));
  }
}

}  // namespace

ModelSet open_model_set(const std::vector<fs::path>& paths) {
  require(paths.size() >= 2, fmt::format("--models: an attack needs at least 2 model directories (a target and a "
                                         "shadow model), got {}", paths.size()));
  ModelSet set;
  std::set<fs::path> seen;
  torch::Tensor keep;  // bool [K, P], from the first model
  for (const fs::path& path : paths) {
    const fs::path canonical = fs::weakly_canonical(path);
    require(seen.insert(canonical).second, fmt::format("--models: {} is given twice", path.string()));
    const job::ModelDir dir = job::open_model_dir(path);
    const fs::path membership_file = path / "membership.json";
    const nlohmann::json membership = read_json(membership_file);
    ModelInfo info;
    info.path = path;
    info.hash = dir.hash();
    info.metrics = dir.metrics;
    info.split_model = json_field<int64_t>(membership, "model", membership_file);
    const std::string fingerprint = json_field<std::string>(dir.manifest, "data_fingerprint", path / "manifest.json");
    const std::string pool_hash = json_field<std::string>(membership, "pool_hash", membership_file);
    const std::string keep_hash = json_field<std::string>(membership, "keep_hash", membership_file);

    if (set.models.empty()) {
      set.data_fingerprint = fingerprint;
      set.pool_hash = pool_hash;
      set.keep_hash = keep_hash;
      set.pool = load_npy(path / "pool.npy").to(torch::kLong);
      keep = load_npy(path / "keep.npy");
      require(keep.scalar_type() == torch::kBool && keep.dim() == 2 && set.pool.dim() == 1 &&
                  keep.size(1) == set.pool.size(0),
              fmt::format("{}: keep.npy must be bool [K, P] with P = {} (pool.npy)", path.string(), set.pool.size(0)));
      require(content_hash(set.pool) == pool_hash,
              fmt::format("{}: pool.npy does not match its pool_hash in membership.json (edited or corrupt?)",
                          path.string()));
      require(content_hash(keep) == keep_hash,
              fmt::format("{}: keep.npy does not match its keep_hash in membership.json (edited or corrupt?)",
                          path.string()));
      set.split_models = keep.size(0);
    } else {
      const ModelInfo& first = set.models.front();
      require(fingerprint == set.data_fingerprint,
              fmt::format("--models: {} was trained on different data than {} (manifest data_fingerprint {} vs {}): "
                          "attack models trained on the same dataset files", path.string(), first.path.string(),
                          fingerprint, set.data_fingerprint));
      require(pool_hash == set.pool_hash && keep_hash == set.keep_hash,
              fmt::format("--models: {} was trained on a different membership split than {} (membership.json "
                          "pool_hash/keep_hash differ): attack models that share data.* sizes, split.models and "
                          "split.seed", path.string(), first.path.string()));
    }
    require(info.split_model >= 0 && info.split_model < set.split_models,
            fmt::format("{}: model {} is outside the split's {} models", membership_file.string(), info.split_model,
                        set.split_models));
    // The IN set this model recorded must be its keep row: train_indices = pool[keep[k]].
    const torch::Tensor recorded = std::get<0>(load_npy(path / "train_indices.npy").to(torch::kLong).sort());
    const torch::Tensor from_keep = std::get<0>(set.pool.masked_select(keep[info.split_model]).sort());
    require(recorded.sizes() == from_keep.sizes() && torch::equal(recorded, from_keep),
            fmt::format("{}: train_indices.npy disagrees with row {} of keep.npy", path.string(), info.split_model));
    set.models.push_back(std::move(info));
  }
  const int64_t M = static_cast<int64_t>(set.models.size()), P = set.pool.size(0);
  set.membership = MembershipMask(M, P);
  for (int64_t m = 0; m < M; ++m) {
    const torch::Tensor row = keep[set.models[static_cast<size_t>(m)].split_model].contiguous();
    const bool* in = row.data_ptr<bool>();
    for (int64_t n = 0; n < P; ++n) set.membership.set(m, n, in[n]);
  }
  return set;
}

}  // namespace cwrf::attack
