#include "cwrf/attack/qmia.h"

#include "cwrf/attack/statistics.h"
#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/train/step.h"
#include "cwrf/train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::attack {

namespace {

// The pinball loss as a training objective: the batch's rows of the (standardised) targets are
// looked up by their positions in the training set.
class PinballObjective final : public train::Objective {
 public:
  PinballObjective(torch::Tensor targets, torch::Tensor levels) : targets_(std::move(targets)), levels_(std::move(levels)) {}
  std::string name() const override { return "pinball"; }
  void prepare(const train::ObjectiveContext& context) override {
    targets_ = targets_.to(context.device);
    levels_ = levels_.to(context.device);
  }
  torch::Tensor loss(const train::LossInput& in) override {
    return pinball_loss(in.logits, targets_.index_select(0, in.positions.to(targets_.device())), levels_);
  }

 private:
  torch::Tensor targets_, levels_;
};

}  // namespace

torch::Tensor pinball_loss(const torch::Tensor& predictions, const torch::Tensor& targets, const torch::Tensor& levels) {
  require(predictions.dim() == 2 && targets.dim() == 1 && levels.dim() == 1 && predictions.size(0) == targets.size(0) &&
              predictions.size(1) == levels.size(0),
          "pinball_loss: predictions [B, A], targets [B] and levels [A] must agree");
  const torch::Tensor delta = targets.to(predictions.dtype()).unsqueeze(1) - predictions;
  const torch::Tensor tau = levels.to(predictions.dtype()).unsqueeze(0);
  return (torch::relu(delta) * tau + torch::relu(-delta) * (1.0 - tau)).mean();
}

QuantileRegressor train_quantile_regressor(const data::Prepared& inputs, const torch::Tensor& targets,
                                           const std::vector<double>& levels, const QuantileRegressionOptions& o) {
  const int64_t n = inputs.size();
  require(n >= 2, fmt::format("QMIA: the quantile regressor needs known non-members, got {}", n));
  require(targets.dim() == 1 && targets.size(0) == n,
          fmt::format("QMIA: {} targets for {} inputs", targets.numel(), n));
  require(!levels.empty(), "QMIA: no quantile levels");
  for (double tau : levels)
    require(tau > 0.0 && tau < 1.0, fmt::format("QMIA: the quantile level {} must be in (0, 1)", tau));
  require(o.epochs >= 1 && o.batch_size >= 1 && o.lr > 0.0, "QMIA: epochs, batch size and learning rate must be > 0");
  const torch::Tensor t = targets.to(torch::kFloat64);
  require(torch::isfinite(t).all().item<bool>(), "QMIA: a target score is not finite");

  QuantileRegressor r;
  r.levels = levels;
  r.shift = t.mean().item<double>();
  const double sd = t.std(/*unbiased=*/false).item<double>();
  r.scale = sd > 1e-12 ? sd : 1.0;
  const torch::Tensor standardised = ((t - r.shift) / r.scale).to(torch::kFloat32);

  models::ModelSpec spec = o.spec;
  spec.num_classes = static_cast<int64_t>(levels.size());
  torch::manual_seed(o.seed);
  r.model = models::make_model(spec);
  const torch::Device device(o.device);
  r.model->to(device);

  // The trainer reads (inputs, labels): the labels only feed its accuracy count, the loss reads the targets.
  data::Prepared set = inputs;
  set.inputs = inputs.inputs.to(device);
  set.labels = torch::zeros({n}, torch::TensorOptions().dtype(torch::kLong).device(device));
  set.num_classes = spec.num_classes;
  PinballObjective objective(standardised, torch::tensor(levels, torch::kFloat32));
  auto step = train::make_standard_step();
  train::TrainOptions to;
  to.epochs = o.epochs;
  to.batch_size = o.batch_size;
  to.lr = o.lr;
  to.data_seed = o.seed;
  to.eval_every = 0;
  to.channels_last = o.channels_last;
  train::TrainSets sets;
  sets.members = &set;
  const train::TrainResult trained = train::train_model(*r.model, sets, objective, *step, to);
  r.seconds = trained.seconds;
  r.channels_last = o.channels_last;
  r.final_loss = trained.history.empty() ? 0.0 : trained.history.back().train_loss;
  r.model->eval();
  return r;
}

torch::Tensor predict_quantiles(QuantileRegressor& r, const torch::Tensor& inputs, int64_t batch_size) {
  data::Prepared set;
  set.inputs = inputs;
  set.labels = torch::zeros({inputs.size(0)}, torch::kLong);
  set.num_classes = static_cast<int64_t>(r.levels.size());
  const torch::Device device = r.model->parameters().front().device();
  set.inputs = set.inputs.to(device);
  const torch::Tensor out = train::predict_logits(*r.model, set, batch_size, r.channels_last).to(torch::kCPU, torch::kFloat64);
  return out * r.scale + r.shift;
}

std::vector<double> mean_logit_scaled(const torch::Tensor& logits, const torch::Tensor& labels) {
  require(logits.dim() == 3 && labels.dim() == 1 && logits.size(0) == labels.size(0),
          "mean_logit_scaled: logits [n, queries, classes] and labels [n]");
  const torch::Tensor z = logits.to(torch::kFloat64).contiguous();
  const torch::Tensor y = labels.to(torch::kLong).contiguous();
  const int64_t n = z.size(0), Q = z.size(1), C = z.size(2);
  std::vector<double> out(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double total = 0.0;
    for (int64_t q = 0; q < Q; ++q)
      total += row_statistics(z.data_ptr<double>() + (i * Q + q) * C, C, y.data_ptr<int64_t>()[i]).logit_scaled;
    out[static_cast<size_t>(i)] = total / static_cast<double>(Q);
  }
  return out;
}

}  // namespace cwrf::attack
