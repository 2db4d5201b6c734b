// DP-SGD step strategy and its registry entry (see dpsgd.h; docs/ALGORITHMS.md §3).
#include "cwrf/train/dp/dpsgd.h"

#include "cwrf/common/error.h"
#include "cwrf/common/seed.h"
#include "cwrf/train/dp/accountant.h"
#include "cwrf/train/dp/accountants.h"
#include "cwrf/train/op_profile.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <cmath>
#include <optional>

namespace cwrf::train::dp {

namespace {

constexpr double kDefaultMaxGradNorm = 1.0;  // opacus examples' max_grad_norm
constexpr double kDefaultDelta = 1e-5;       // opacus examples' delta
constexpr uint64_t kNoiseStream = 0xd9;      // SeedDomain::kObjective index of the DP noise

// Cross-entropy, the batch mean; DP-SGD's per-sample losses are its terms.
class DpCrossEntropy final : public Objective {
 public:
  std::string name() const override { return "dpsgd"; }
  torch::Tensor loss(const LossInput& in) override { return torch::nn::functional::cross_entropy(in.logits, in.labels); }
};

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

class DpSgdStep final : public StepStrategy {
 public:
  explicit DpSgdStep(const DpSgdOptions& options)
      : options_(options), generator_(at::make_generator<at::CPUGeneratorImpl>(options.seed)) {
    require(options_.max_grad_norm > 0, fmt::format("DP-SGD: max_grad_norm = {} must be > 0", options_.max_grad_norm));
    require(options_.noise_multiplier >= 0 && std::isfinite(options_.noise_multiplier),
            fmt::format("DP-SGD: noise_multiplier = {} must be finite and >= 0", options_.noise_multiplier));
    require(options_.expected_batch_size > 0,
            fmt::format("DP-SGD: expected_batch_size = {} must be > 0", options_.expected_batch_size));
  }

  bool poisson_sampling() const override { return true; }

  nlohmann::json report() const override {
    nlohmann::json r = {{"epsilon", finite_or_null(accountant_epsilon(options_.accountant, options_.noise_multiplier,
                                                                      options_.sampling_rate, steps_, options_.delta))},
                        {"accountant", options_.accountant},
                        {"delta", options_.delta},
                        {"noise_multiplier", options_.noise_multiplier},
                        {"max_grad_norm", options_.max_grad_norm},
                        {"sampling_rate", options_.sampling_rate},
                        {"steps", steps_}};
    if (options_.target_epsilon) r["target_epsilon"] = *options_.target_epsilon;
    return r;
  }

  StepStats compute_gradients(models::Classifier& model, const data::Batch& batch, Objective& objective, int64_t epoch,
                              int64_t step) override {
    if (checked_ != &model) {
      check_supported(model);
      checked_ = &model;
    }
    StepStats stats;
    stats.count = batch.labels.size(0);
    std::vector<torch::Tensor> parameters, sums;
    if (stats.count > 0) {
      std::optional<TappedPass> forward;
      {
        RECORD_USER_SCOPE(kScopeForward);
        forward = run_tapped(
            model, batch.inputs,
            [&](const torch::Tensor& logits) {
              return objective.loss({logits, batch.labels, batch.positions, epoch, step, &model});
            },
            amp_);
      }
      const TappedPass& pass = *forward;
      RECORD_USER_SCOPE(kScopeBackward);  // per-sample gradients, clipping (noise below)
      const double value = pass.loss.item<double>();
      if (!std::isfinite(value))
        throw Error(fmt::format("the {} loss became {} at epoch {} step {}: lower the learning rate", objective.name(),
                                value, epoch + 1, step + 1));
      stats.loss_sum = value * static_cast<double>(stats.count);
      stats.correct = pass.logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
      const PerSampleGradients grads(model, pass, options_.route);
      sums = grads.weighted_sums(clip_factors(grads.squared_norms().sqrt(), options_.max_grad_norm));
      parameters = grads.parameters();
    } else {
      // An empty Poisson batch: the step is noise only (opacus handles it the same way).
      for (const auto& p : model.parameters())
        if (p.requires_grad()) parameters.push_back(p);
    }
    RECORD_USER_SCOPE(kScopeBackward);
    torch::NoGradGuard no_grad;
    const double noise_std = options_.noise_multiplier * options_.max_grad_norm;
    for (size_t i = 0; i < parameters.size(); ++i) {
      torch::Tensor& p = parameters[i];
      torch::Tensor g = sums.empty() ? torch::zeros_like(p) : sums[i];
      if (noise_std > 0) {
        // Drawn from the step's own generator on the parameter's device (the CPU stream is the
        // one CPU runs always had; a GPU draws its own, never 11 M numbers a step on the CPU
        // plus a copy), so the noise does not depend on other users of the global generators.
        const torch::Tensor noise =
            torch::randn(p.sizes(), generator_for(p.device()), p.options())
                .mul_(noise_std);
        g = g + noise;
      }
      g = g / options_.expected_batch_size;
      torch::Tensor& grad = p.mutable_grad();
      if (grad.defined())
        grad.add_(g);
      else
        grad = g.contiguous(p.suggest_memory_format());
    }
    ++steps_;
    return stats;
  }

 private:
  // The CPU generator, or for a GPU a private one of that device (a clone of its default
  // generator, reseeded: no CUDA header needed), seeded with the same DP noise seed.
  at::Generator& generator_for(const c10::Device& device) {
    if (device.is_cpu()) return generator_;
    if (!device_generator_.defined() || device_generator_.device() != device) {
      device_generator_ = at::globalContext().defaultGenerator(device).clone();
      device_generator_.set_current_seed(options_.seed);
    }
    return device_generator_;
  }

  DpSgdOptions options_;
  at::Generator generator_;
  at::Generator device_generator_;
  const models::Classifier* checked_ = nullptr;  // the model check_supported last passed
  int64_t steps_ = 0;
};

double float_or(const config::Config& config, const std::string& key, double fallback) {
  return config.has(key) ? config.get_float(key) : fallback;
}

}  // namespace

torch::Tensor clip_factors(const torch::Tensor& norms, double max_grad_norm) {
  return (max_grad_norm / (norms + 1e-6)).clamp_max(1.0);
}

std::unique_ptr<StepStrategy> make_dpsgd_step(const DpSgdOptions& options) { return std::make_unique<DpSgdStep>(options); }

DpSgdOptions resolve_dpsgd_options(config::Config& config, const StepContext& context) {
  require(context.dataset_size > 0, "DP-SGD needs a non-empty training set");
  require(context.batch_size > 0, fmt::format("DP-SGD: batch_size = {} must be > 0", context.batch_size));
  DpSgdOptions o;
  o.max_grad_norm = float_or(config, "dp.max_grad_norm", kDefaultMaxGradNorm);
  require(o.max_grad_norm > 0 && std::isfinite(o.max_grad_norm),
          fmt::format("config key 'dp.max_grad_norm' must be > 0, got {}", o.max_grad_norm));
  o.delta = float_or(config, "dp.delta", kDefaultDelta);
  require(o.delta > 0 && o.delta < 1, fmt::format("config key 'dp.delta' must be in (0, 1), got {}", o.delta));
  const auto n = static_cast<double>(context.dataset_size);
  o.sampling_rate = std::min(1.0, static_cast<double>(context.batch_size) / n);
  o.expected_batch_size = o.sampling_rate * n;
  o.planned_steps = context.epochs * context.steps_per_epoch;
  if (config.has("dp.accountant")) o.accountant = config.get_string("dp.accountant");
  if (config.has("dp.epsilon")) {
    const double target = config.get_float("dp.epsilon");
    require(target > 0 && std::isfinite(target), fmt::format("config key 'dp.epsilon' must be > 0, got {}", target));
    o.target_epsilon = target;
    o.noise_multiplier = accountant_noise_multiplier(o.accountant, target, o.sampling_rate, o.planned_steps, o.delta);
    if (config.has("dp.noise_multiplier")) {
      const double given = config.get_float("dp.noise_multiplier");
      if (std::abs(given - o.noise_multiplier) > 1e-9 * o.noise_multiplier)
        throw Error(fmt::format("config keys 'dp.epsilon' = {} and 'dp.noise_multiplier' = {} disagree: epsilon {} at "
                                "delta {} over {} steps at q = {} needs noise_multiplier {} ({} accountant); set only one "
                                "of them",
                                target, given, target, o.delta, o.planned_steps, o.sampling_rate, o.noise_multiplier,
                                o.accountant));
    }
  } else if (config.has("dp.noise_multiplier")) {
    o.noise_multiplier = config.get_float("dp.noise_multiplier");
    require(o.noise_multiplier >= 0 && std::isfinite(o.noise_multiplier),
            fmt::format("config key 'dp.noise_multiplier' must be >= 0, got {}", o.noise_multiplier));
  } else {
    throw Error("defense 'dpsgd' needs a privacy level: set dp.epsilon (a target epsilon; the noise multiplier is "
                "searched for it) or dp.noise_multiplier");
  }
  o.seed = derive_seed(static_cast<uint64_t>(config.get_int("seed")), SeedDomain::kObjective, kNoiseStream);
  config.set("dp.noise_multiplier", o.noise_multiplier);
  config.set("dp.max_grad_norm", o.max_grad_norm);
  config.set("dp.delta", o.delta);
  return o;
}

ObjectiveInfo dpsgd_info() {
  using config::Type;
  ObjectiveInfo info;
  info.name = "dpsgd";
  info.description = "DP-SGD (Abadi et al. 2016, Opacus): cross-entropy with per-sample clipping, Gaussian noise, "
                     "Poisson sampling";
  info.options = {
      {"dp.epsilon", Type::Float, nullptr,
       "dpsgd: target epsilon; when set, the noise multiplier is searched for it (by dp.accountant)"},
      // No default value: a model that does not set it keeps the hash it had before the key existed.
      {"dp.accountant", Type::String, nullptr,
       "dpsgd: the accountant of the reported epsilon and of the noise search for dp.epsilon: rdp (Renyi DP) or prv "
       "(numerical composition, Gopi et al. 2021; tighter); unset: rdp",
       {"rdp", "prv"}},
      {"dp.noise_multiplier", Type::Float, nullptr,
       "dpsgd: sigma, noise std / max_grad_norm, used when dp.epsilon is unset (resolved: the sigma used)"},
      {"dp.max_grad_norm", Type::Float, kDefaultMaxGradNorm, "dpsgd: C, the per-sample gradient clipping norm (1.0)"},
      {"dp.delta", Type::Float, kDefaultDelta, "dpsgd: delta of the (epsilon, delta) guarantee (1e-5)"},
  };
  info.make = [](config::Config&) { return std::make_unique<DpCrossEntropy>(); };
  info.make_step = [](config::Config& config, const StepContext& context) {
    return make_dpsgd_step(resolve_dpsgd_options(config, context));
  };
  return info;
}

}  // namespace cwrf::train::dp
