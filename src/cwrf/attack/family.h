// An attack family (LiRA, RMIA, the metric attacks, ...) as the attack stage runs it: its name
// in `attack.attacks`, its own settings (entries of the one attack settings table, settings.h),
// the variants those settings select, whether a shadow split can support a variant, and how a
// target's examples are scored. The runner (runner.h) knows families only through this type;
// adding a family is its files plus one entry in families.cpp (docs/DESIGN.md).
#pragma once

#include "cwrf/attack/arrays.h"
#include "cwrf/attack/protocol.h"
#include "cwrf/attack/statistics.h"
#include "cwrf/config/config.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cwrf::attack {

class ModelAccess;  // model_access.h: the models and their data, for families that need more than signals

// A seed for one target's draws from the run's attack.seed: different for every target and, through
// `salt` (one constant per use: RMIA's population, QMIA's regressor, a variant's bootstrap), between
// the uses of one run seed.
inline uint64_t per_target_seed(uint64_t seed, uint64_t salt, int64_t target) {
  return seed * 0x9E3779B97F4A7C15ULL ^ (salt + static_cast<uint64_t>(target) * 0xBF58476D1CE4E5B9ULL);
}

// What every family's scoring sees, computed once per run.
struct AttackInputs {
  const torch::Tensor* logits = nullptr;  // [models, examples, queries, classes]
  const torch::Tensor* labels = nullptr;  // int64 [examples]
  const MembershipMask* membership = nullptr;
  const Statistics* stats = nullptr;      // φ, loss, confidence, entropies [models, examples, queries]
  std::vector<int64_t> label_list;        // the labels as a vector
  int64_t classes = 0;
  uint64_t seed = 0;                      // attack.seed (population subsets)
  ModelAccess* models = nullptr;          // set for families with needs_models (attack_job.cpp fills it)
};

struct Variant {
  std::string name;         // "online", "offline-fixed", "loss", ...
  nlohmann::json options;   // what results.json records about it
};

struct TargetScores {
  std::vector<double> scores;        // [examples], higher = member
  double threshold_accuracy = -1.0;  // a fitted operating point's balanced accuracy, when the attack has one
  nlohmann::json details = nlohmann::json::object();  // per-target facts for results.json (QMIA: its threshold's rates)
};

// Scores one target (its shadow split) under one variant.
using TargetScorer = std::function<TargetScores(const Variant&, const ShadowSplit&)>;

struct AttackFamily {
  std::string name;         // "lira": its value in attack.attacks and the prefix of its variants
  std::string description;  // one line for --help
  bool default_on = true;   // in attack.attacks by default
  std::vector<config::Option> settings;  // its own attack.* keys (e.g. attack.rmia_gamma)
  // The variants the settings select, in order (empty: the settings select none).
  std::function<std::vector<Variant>(const config::Config&)> variants;
  // "" when the split has what the variant needs (e.g. IN and OUT shadows), else why not.
  std::function<std::string(const config::Config&, const Variant&, const ShadowSplit&)> shortfall;
  // Per-run preparation (e.g. RMIA's signal) and the scorer it gives.
  std::function<TargetScorer(const config::Config&, const AttackInputs&)> prepare;
  // The family scores from the models and their data (e.g. trains a model of its own), not from the
  // signals alone: the attack job gives it AttackInputs::models; run_attacks without one is an Error.
  bool needs_models = false;
  // When set and > 0: the family attacks only the first N of the run's targets (an expensive attack).
  std::function<int64_t(const config::Config&)> target_limit;
};

// Every family, in report order (families.cpp: the one registration table).
const std::vector<AttackFamily>& attack_families();
// Error naming the unknown name and the known ones.
const AttackFamily& find_family(const std::string& name);

}  // namespace cwrf::attack
