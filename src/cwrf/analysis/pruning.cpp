#include "cwrf/analysis/pruning.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/gnuplot.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/weights/mask_ops.h"

#include <fmt/format.h>
#include <torch/torch.h>

namespace cwrf::analysis {

Table pruning_sweep(const ModelContext& context, const weights::Scores& tfo, const std::vector<double>& sparsities) {
  Table table;
  table.columns = {"sparsity", "pruned_weights", "test_acc", "test_loss", "train_acc", "train_loss", "loss_gap"};
  for (double s : sparsities) {
    require(s >= 0.0 && s < 1.0, fmt::format("sparsity must be in [0, 1), got {}", s));
    models::ClassifierPtr model = job::load_model(context.dir, "final");
    model->to(context.sets->members.inputs.device());
    const models::WeightMask pruned = weights::bottom_fraction(tfo, s);  // lowest learnability first
    weights::zero_masked(*model, pruned);
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
