#include "cwrf/weights/cwrf_step.h"

#include "cwrf/common/error.h"
#include "cwrf/models/model_state.h"
#include "cwrf/models/weight_kinds.h"
#include "cwrf/weights/mask_ops.h"

#include <fmt/format.h>

namespace cwrf::weights {

namespace fs = std::filesystem;

CwrfMasks cwrf_masks(const std::string& mode, const Scores& all_scores, double rate,
                     const std::set<std::string>& eligible) {
  const Scores scores = eligible.empty() ? all_scores : restrict_to(all_scores, eligible);
  CwrfMasks m;
  if (mode == "lottery") {
    m.selected = extend_mask(bottom_fraction(scores, rate), all_scores);  // pruned
    m.trainable = complement(m.selected);
  } else if (mode == "cwrf" || mode == "remove") {
    m.selected = extend_mask(top_fraction(scores, rate), all_scores);
    m.trainable = complement(m.selected);  // Alg. 1 line 20: the update is multiplied by B_f
  } else if (mode == "rewind-only") {
    m.selected = extend_mask(top_fraction(scores, rate), all_scores);
    m.trainable = m.selected;
  } else {
    throw Error(fmt::format("config key 'cwrf.mode' has unknown value '{}'", mode));
  }
  return m;
}

void apply_mode(const std::string& mode, models::Classifier& model, const TensorMap& theta_vn, const CwrfMasks& masks) {
  if (mode == "cwrf" || mode == "rewind-only") {
    rewind(model, theta_vn, masks.selected);  // Eq. 6
  } else if (mode == "remove") {
    zero_masked(model, masks.selected);
  } else if (mode == "lottery") {
    // M2 (Fig. 4): the survivors go back to their initial values, as does the rest of the
    // state (BatchNorm statistics): retraining starts from θ_vn with the pruned weights gone.
    models::load_model_state(model, theta_vn, "θ_vn");
    zero_masked(model, masks.selected);
  } else {
    throw Error(fmt::format("config key 'cwrf.mode' has unknown value '{}'", mode));
  }
}

std::set<std::string> scope_tensors(const std::string& scope, const models::Classifier& model) {
  if (scope == "all") return {};
  if (scope != "weights") throw Error(fmt::format("config key 'cwrf.scope' has unknown value '{}'", scope));
  std::set<std::string> out;
  for (const auto& [name, kind] : models::classify_weights(model))
    if (kind != models::WeightKind::Norm && kind != models::WeightKind::Bias) out.insert(name);
  return out;
}

std::string score_options_key(const ScoreOptions& o) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", to_string(o.method), o.iterations, o.batch_size,
                     o.method == ScoreMethod::Pve ? o.lambda : 0.0, o.lr, o.kl_reduction, o.seed);
}

Scores cached_scores(const models::ModelSpec& spec, const TensorMap& theta_up, const TensorMap& theta_vn,
                     const data::Prepared& members, const data::Prepared& reference, const ScoreOptions& options,
                     const fs::path& cache_file) {
  if (!cache_file.empty() && fs::exists(cache_file)) return load_scores(cache_file);
  const Scores scores = compute_scores(spec, theta_up, theta_vn, members, &reference, options);
  if (!cache_file.empty()) save_scores(cache_file, scores);
  return scores;
}

}  // namespace cwrf::weights
