#include "cwrf/weights/scores.h"

#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/models/model_state.h"
#include "cwrf/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::weights {

ScoreMethod parse_score_method(const std::string& name) {
  if (name == "pve") return ScoreMethod::Pve;
  if (name == "tfo") return ScoreMethod::Tfo;
  throw Error(fmt::format("unknown score method '{}'; expected pve or tfo", name));
}

std::string to_string(ScoreMethod method) { return method == ScoreMethod::Pve ? "pve" : "tfo"; }

namespace {

// Batches drawn cyclically: T iterations may need more than one pass over a small set.
class CyclicBatches {
 public:
  CyclicBatches(const data::Prepared& set, int64_t batch_size, uint64_t seed)
      : loader_(set, make_options(batch_size, seed)) {}

  data::Batch next() {
    auto batch = loader_.next();
    if (!batch) {
      loader_.start_epoch(++epoch_);
      batch = loader_.next();
    }
    return *batch;
  }

 private:
  static data::LoaderOptions make_options(int64_t batch_size, uint64_t seed) {
    data::LoaderOptions o;
    o.batch_size = batch_size;
    o.shuffle = true;
    o.seed = seed;
    return o;  // no augmentation: scores describe the data as the model saw them
  }
  data::BatchLoader loader_;
  int64_t epoch_ = 0;
};

torch::Tensor prepare_inputs(torch::Tensor x, bool channels_last) {
  return channels_last && x.dim() == 4 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
}

}  // namespace

Scores compute_scores(const models::ModelSpec& spec, const TensorMap& theta_up, const TensorMap& theta_vn,
                      const data::Prepared& members, const data::Prepared* reference, const ScoreOptions& options,
                      const std::function<void(int64_t, int64_t)>& on_iteration) {
  return compute_scores([&] { return models::make_model(spec); }, theta_up, theta_vn, members, reference, options,
                        on_iteration);
}

Scores compute_scores(const ModelFactory& make, const TensorMap& theta_up, const TensorMap& theta_vn,
                      const data::Prepared& members, const data::Prepared* reference, const ScoreOptions& options,
                      const std::function<void(int64_t, int64_t)>& on_iteration) {
  const bool pve = options.method == ScoreMethod::Pve;
  require(members.size() > 0, "scoring needs a non-empty member (training) set");
  require(!pve || (reference != nullptr && reference->size() > 0),
          "PVE scoring needs the model's reference (non-member) set; it is empty");
  require(options.iterations > 0, fmt::format("cwrf.iterations must be > 0, got {}", options.iterations));
  require(options.batch_size > 0, fmt::format("cwrf.batch_size must be > 0, got {}", options.batch_size));
  require(options.lambda >= 0.0 && options.lambda <= 1.0,
          fmt::format("cwrf.lambda must be in [0, 1], got {}", options.lambda));
  require(options.lr >= 0.0, fmt::format("cwrf.score_lr must be >= 0, got {}", options.lr));
  require(options.kl_reduction == "batchmean" || options.kl_reduction == "mean",
          fmt::format("cwrf.kl_reduction must be batchmean or mean, got '{}'", options.kl_reduction));
  const double lambda = pve ? options.lambda : 0.0;
  const auto device = members.inputs.device();

  // θ' (updated) and, for PVE, the vanilla model M_vn (fixed).
  models::ClassifierPtr copy = make();
  models::load_model_state(*copy, theta_up, "θ_up");
  copy->to(device);
  copy->train();
  models::ClassifierPtr vanilla;
  if (pve) {
    vanilla = make();
    models::load_model_state(*vanilla, theta_vn, "θ_vn");
    vanilla->to(device);
    vanilla->train();  // batch statistics, like θ' (its running stats are the untrained 0/1)
  }
  if (options.channels_last) {
    train::to_channels_last(*copy);
    if (vanilla) train::to_channels_last(*vanilla);
  }

  std::vector<std::pair<std::string, torch::Tensor>> params;
  Scores scores;
  for (auto& p : copy->named_parameters()) {
    if (!p.value().requires_grad()) continue;
    params.emplace_back(p.key(), p.value());
    scores[p.key()] = torch::zeros(p.value().sizes(), p.value().options().dtype(torch::kFloat32).memory_format(torch::MemoryFormat::Contiguous));
  }

  CyclicBatches member_batches(members, options.batch_size, options.seed);
  std::optional<CyclicBatches> reference_batches;
  if (pve) reference_batches.emplace(*reference, options.batch_size, options.seed ^ 0x5eedULL);

  for (int64_t t = 0; t < options.iterations; ++t) {
    for (auto& [name, p] : params)
      if (p.grad().defined()) p.mutable_grad().zero_();
    const data::Batch tr = member_batches.next();
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(copy->forward(prepare_inputs(tr.inputs, options.channels_last)), tr.labels);
    if (pve) {
      const data::Batch re = reference_batches->next();
      const torch::Tensor x_re = prepare_inputs(re.inputs, options.channels_last);
      torch::Tensor target;
      {
        torch::NoGradGuard no_grad;
        target = torch::softmax(vanilla->forward(x_re), 1);
      }
      // KL(p_vn ‖ p_θ') = Σ p_vn (log p_vn − log p_θ'): the distillation form, kl_div(log_softmax(θ'), softmax(vn)).
      torch::Tensor kl = torch::kl_div(torch::log_softmax(copy->forward(x_re), 1), target,
                                       options.kl_reduction == "mean" ? at::Reduction::Mean : at::Reduction::Sum);
      if (options.kl_reduction == "batchmean") kl = kl / static_cast<double>(x_re.size(0));
      loss = (1.0 - lambda) * loss + lambda * kl;
    }
    if (!std::isfinite(loss.item<double>()))
      throw Error(fmt::format("the {} scoring loss became non-finite at iteration {}; lower cwrf.score_lr",
                              to_string(options.method), t + 1));
    loss.backward();
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : params) {
      const torch::Tensor& g = p.grad();
      if (!g.defined()) continue;
      scores[name].add_((g * p).abs().to(torch::kFloat32).contiguous());  // Alg. 1 line 8, θ' before the update
      p.sub_(g, options.lr);                                              // line 9: plain SGD on the copy
    }
    if (on_iteration) on_iteration(t + 1, options.iterations);
  }
  for (auto& [name, s] : scores) s = s.to(torch::kCPU);
  return scores;
}

void save_scores(const std::filesystem::path& path, const Scores& scores) { save_tensors(path, scores); }

Scores load_scores(const std::filesystem::path& path) { return load_tensors(path); }

}  // namespace cwrf::weights
