// QMIA as an attack family (qmia.h): one variant per FPR level α, all from one quantile regressor
// per target trained on the target's reference set; it needs the models and data (needs_models) and,
// being the expensive attack, attacks only the first attack.qmia_targets targets.
#include "cwrf/attack/family.h"
#include "cwrf/attack/model_access.h"
#include "cwrf/attack/qmia.h"
#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <memory>

namespace cwrf::attack {

namespace {

std::vector<double> qmia_levels(const config::Config& c) {
  std::vector<double> alphas = c.get_floats("attack.qmia_fpr");
  return alphas.empty() ? c.get_floats("attack.fpr") : alphas;
}

// One target's regressor outputs: the (1 − α) quantiles of the pool, per level.
struct Fitted {
  torch::Tensor pool_quantiles;  // float64 [examples, levels]
  std::vector<double> reference_fpr;  // in-sample: the known non-members above their own quantile
  int64_t known_non_members = 0;
  double seconds = 0.0, final_loss = 0.0;
};

Fitted fit_target(const config::Config& c, ModelAccess& access, int64_t target, const std::vector<double>& alphas,
                  uint64_t seed) {
  const data::Prepared reference = access.reference_set(target);
  const std::vector<double> scores = mean_logit_scaled(access.logits(target, reference.inputs), reference.labels);
  const models::ModelSpec target_spec = access.model_spec(target);
  QuantileRegressionOptions o;
  o.spec = target_spec;
  if (c.get_string("attack.qmia_model") == "cnn") {
    require(!models::is_text_model(target_spec.name),
            fmt::format("QMIA's cnn regressor reads images, but the target is a {} model (use --qmia-model target)",
                        target_spec.name));
    o.spec = models::ModelSpec{};
    o.spec.name = "cnn";
    o.spec.in_channels = target_spec.in_channels;
    o.spec.image_size = target_spec.image_size;
    o.spec.norm = "batch";
  }
  if (c.get_int("attack.qmia_width") > 0) o.spec.width = c.get_int("attack.qmia_width");
  o.epochs = c.get_int("attack.qmia_epochs");
  o.batch_size = c.get_int("attack.qmia_batch_size");
  o.lr = c.get_float("attack.qmia_lr");
  o.seed = seed;
  o.device = access.device().str();
  o.channels_last = access.device().is_cpu() && reference.inputs.dim() == 4;
  std::vector<double> levels;
  for (double a : alphas) levels.push_back(1.0 - a);
  QuantileRegressor r = train_quantile_regressor(reference, torch::tensor(scores, torch::kFloat64), levels, o);
  Fitted f;
  f.seconds = r.seconds;
  f.final_loss = r.final_loss;
  f.known_non_members = reference.size();
  f.pool_quantiles = predict_quantiles(r, access.pool().inputs, access.batch_size()).contiguous();
  const torch::Tensor on_reference = predict_quantiles(r, reference.inputs, access.batch_size()).contiguous();
  const auto q = on_reference.accessor<double, 2>();
  for (size_t a = 0; a < alphas.size(); ++a) {
    int64_t above = 0;
    for (int64_t i = 0; i < reference.size(); ++i)
      above += scores[static_cast<size_t>(i)] > q[i][static_cast<int64_t>(a)] ? 1 : 0;
    f.reference_fpr.push_back(static_cast<double>(above) / static_cast<double>(reference.size()));
  }
  return f;
}

constexpr uint64_t kRegressorSalt = 0x716D6961ULL;  // "qmia": the regressor's initialisation and batches

}  // namespace

AttackFamily qmia_family() {
  using config::Type;
  AttackFamily f;
  f.name = "qmia";
  f.description = "QMIA, quantile-regression membership inference without shadow models (Bertran et al. 2023)";
  f.default_on = false;
  f.needs_models = true;
  f.settings = {
      {"attack.qmia_fpr", Type::FloatList, config::Json::array(),
       "QMIA: the FPR levels alpha it targets, one variant each, from one regressor of the (1 - alpha) quantiles "
       "(empty: the levels of attack.fpr)",
       {}, true, config::open(0, 1)},
      {"attack.qmia_targets", Type::Int, 1, "QMIA: attack the first N targets only, a regressor each (0: all)", {},
       true, config::at_least(0)},
      {"attack.qmia_model", Type::String, "cnn",
       "QMIA regressor: cnn (this project's CNN, for images) or target (the target's own architecture)",
       {"cnn", "target"}},
      {"attack.qmia_width", Type::Int, 16, "QMIA regressor: width (0: the architecture's default or the target's)",
       {}, true, config::at_least(0)},
      {"attack.qmia_epochs", Type::Int, 30, "QMIA regressor: training epochs over the known non-members", {}, true,
       config::at_least(1)},
      {"attack.qmia_batch_size", Type::Int, 32, "QMIA regressor: batch size", {}, true, config::at_least(1)},
      {"attack.qmia_lr", Type::Float, 1e-3, "QMIA regressor: Adam learning rate (cosine schedule)", {}, true,
       config::greater_than(0)},
  };
  f.target_limit = [](const config::Config& c) { return c.get_int("attack.qmia_targets"); };
  f.variants = [](const config::Config& c) {
    std::vector<Variant> out;
    for (double alpha : qmia_levels(c))
      out.push_back({fmt::format("{:g}", alpha),
                     {{"alpha", alpha},
                      {"quantile", 1.0 - alpha},
                      {"signal", "logit_scaled"},
                      {"known_non_members", "the target's reference set"},
                      {"model", c.get_string("attack.qmia_model")},
                      {"epochs", c.get_int("attack.qmia_epochs")}}});
    return out;
  };
  f.shortfall = [](const config::Config&, const Variant&, const ShadowSplit&) { return std::string(); };
  f.prepare = [](const config::Config& c, const AttackInputs& in) -> TargetScorer {
    auto fitted = std::make_shared<std::map<int64_t, Fitted>>();
    const std::vector<double> alphas = qmia_levels(c);
    return [&c, &in, fitted, alphas](const Variant& v, const ShadowSplit& s) {
      auto it = fitted->find(s.target);
      if (it == fitted->end())
        it = fitted->emplace(s.target, fit_target(c, *in.models, s.target, alphas, per_target_seed(in.seed, kRegressorSalt, s.target)))
                 .first;
      const Fitted& fit = it->second;
      const double alpha = v.options.at("alpha").get<double>();
      const int64_t a = std::find(alphas.begin(), alphas.end(), alpha) - alphas.begin();
      const SignalArray& phi = in.stats->logit_scaled;
      const auto quantiles = fit.pool_quantiles.accessor<double, 2>();
      TargetScores out;
      out.scores.resize(static_cast<size_t>(phi.examples));
      double tp = 0, fp = 0, p = 0, n = 0;
      for (int64_t e = 0; e < phi.examples; ++e) {
        double total = 0.0;
        for (int64_t q = 0; q < phi.queries; ++q) total += phi(s.target, e, q);
        const double score = total / static_cast<double>(phi.queries) - quantiles[e][a];
        out.scores[static_cast<size_t>(e)] = score;
        const bool member = (*in.membership)(s.target, e);
        (member ? p : n) += 1;
        if (score > 0) (member ? tp : fp) += 1;
      }
      // The paper's attack at α: flag the scores above their own quantile.
      const double tpr = p > 0 ? tp / p : 0.0, fpr = n > 0 ? fp / n : 0.0;
      out.threshold_accuracy = 0.5 * (tpr + 1.0 - fpr);
      out.details = {{"qmia",
                      {{"alpha", alpha},
                       {"threshold_fpr", fpr},
                       {"threshold_tpr", tpr},
                       {"reference_fpr", fit.reference_fpr[static_cast<size_t>(a)]},
                       {"known_non_members", fit.known_non_members},
                       {"regressor_seconds", fit.seconds},
                       {"regressor_loss", fit.final_loss}}}};
      return out;
    };
  };
  return f;
}

}  // namespace cwrf::attack
