#include "cwrf/analysis/pruning.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/gnuplot.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/weights/cwrf_step.h"
#include "cwrf/weights/mask_ops.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::analysis {

const std::vector<std::string>& pruning_criteria() {
  static const std::vector<std::string> criteria = {"tfo", "magnitude"};
  return criteria;
}

namespace {

weights::Scores magnitude_scores(models::Classifier& model) {
  weights::Scores scores;
  for (const auto& p : model.named_parameters()) scores[p.key()] = p.value().detach().abs().to(torch::kFloat32);
  return scores;
}

// BatchNorm's running mean and variance re-estimated on `set` (a cumulative average over one pass
// in train mode, no gradient): pruning shifts every channel's statistics, and stale ones alone can
// take a pruned network to chance.
void recalibrate_batch_norm(models::Classifier& model, const data::Prepared& set) {
  // c10::optional in LibTorch 1.13, std::optional in 2.x.
  using Momentum = std::decay_t<decltype(std::declval<torch::nn::BatchNormOptions&>().momentum())>;
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, Momentum>> norms;
  for (const auto& m : model.modules(/*include_self=*/false))
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      norms.emplace_back(bn, bn->options.momentum());
      bn->reset_running_stats();
      bn->options.momentum(Momentum{});  // none: a cumulative moving average
    }
  if (norms.empty()) return;
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.train();
  for (int64_t start = 0; start < set.size(); start += train::kInferenceBatchSize)
    model.forward(set.inputs.slice(0, start, std::min(set.size(), start + train::kInferenceBatchSize)));
  model.train(was_training);
  for (auto& [bn, momentum] : norms) bn->options.momentum(momentum);
}

}  // namespace

Table pruning_sweep(const ModelContext& context, const weights::Scores& tfo, const std::vector<double>& sparsities,
                    const PruningOptions& options) {
  require(std::find(pruning_criteria().begin(), pruning_criteria().end(), options.criterion) != pruning_criteria().end(),
          fmt::format("unknown pruning criterion '{}' (tfo, magnitude)", options.criterion));
  Table table;
  table.columns = {"sparsity", "pruned_weights", "test_acc", "test_loss", "train_acc", "train_loss", "loss_gap"};
  for (double s : sparsities) {
    require(s >= 0.0 && s < 1.0, fmt::format("sparsity must be in [0, 1), got {}", s));
    models::ClassifierPtr model = job::load_model(context.dir, "final");
    model->to(context.sets->members.inputs.device());
    const weights::Scores scores = options.criterion == "magnitude" ? magnitude_scores(*model) : tfo;
    const models::WeightMask pruned =  // lowest importance first
        weights::cwrf_masks("lottery", scores, s, weights::scope_tensors(options.scope, *model)).selected;
    weights::zero_masked(*model, pruned);
    if (options.recalibrate_norm) recalibrate_batch_norm(*model, context.sets->members);
    const train::EvalResult test = train::evaluate(*model, context.sets->test, train::kInferenceBatchSize);
    const train::EvalResult members = train::evaluate(*model, context.sets->members, train::kInferenceBatchSize);
    table.add_row({s, weights::count_true(pruned), test.accuracy, test.loss, members.accuracy, members.loss,
                   test.loss - members.loss});
  }
  return table;
}

void plot_pruning(const Table& table, const std::filesystem::path& dir) {
  std::string data = "# sparsity test_acc train_loss test_loss\n";
  for (const auto& row : table.rows)
    data += fmt::format("{} {} {} {}\n", row[0].get<double>(), row[2].get<double>(), row[5].get<double>(),
                        row[3].get<double>());
  const auto dat = dir / "pruning.dat";
  write_file_atomic(dat, data);
  render_gnuplot(fmt::format("set xlabel 'sparsity (fraction of weights pruned by lowest TFO score)'\n"
                             "set ylabel 'test accuracy'\nset y2label 'cross-entropy'\nset ytics nomirror\nset y2tics\n"
                             "set key bottom left\nset grid\n"
                             "plot {0} using 1:2 with linespoints title 'test accuracy', "
                             "{0} using 1:3 axes x1y2 with linespoints title 'train loss', "
                             "{0} using 1:4 axes x1y2 with linespoints title 'test loss'\n",
                             gnuplot_quote(dat.string())),
                 dir / "pruning.png");
}

}  // namespace cwrf::analysis
