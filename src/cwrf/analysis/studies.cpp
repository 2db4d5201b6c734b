#include "cwrf/analysis/studies.h"

#include "cwrf/analysis/pruning.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/gnuplot.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace cwrf::analysis {

namespace {

double metric(const nlohmann::json& m, const char* key) {
  return m.contains(key) && m.at(key).is_number() ? m.at(key).get<double>() : std::nan("");
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json lottery_overrides(double sparsity, int64_t epochs) {
  require(sparsity > 0.0 && sparsity < 1.0, fmt::format("the lottery study's sparsity must be in (0, 1), got {}", sparsity));
  return {{"cwrf.mode", "lottery"}, {"cwrf.score", "tfo"}, {"cwrf.rate", sparsity}, {"cwrf.epochs", epochs}};
}

Table lottery_table(const ModelContext& m1, const job::ModelDir& m2, double sparsity,
                    const std::filesystem::path& scores_dir) {
  Table table;
  table.columns = {"model", "description", "test_acc", "test_loss", "train_acc", "train_loss", "epochs"};
  const auto& a = m1.dir.metrics;
  table.add_row({"M1", "trained from scratch", metric(a, "test_acc"), metric(a, "test_loss"), metric(a, "train_acc"),
                 metric(a, "train_loss"), a.value("epochs", int64_t{0})});
  const auto& b = m2.metrics;
  table.add_row({"M2", fmt::format("{:g} % pruned by TFO, survivors rewound to θ_vn and retrained", sparsity * 100),
                 metric(b, "test_acc"), metric(b, "test_loss"), metric(b, "train_acc"), metric(b, "train_loss"),
                 b.value("epochs", int64_t{0})});
  // M3: M1 with the same mask rule (the TFO scores are the cached ones M2 used), not retrained.
  config::Config c = m1.config;
  c.set("cwrf.score", "tfo");
  const weights::Scores tfo = job::model_scores(m1.dir, c, *m1.sets, scores_dir);
  PruningOptions pruning;
  pruning.scope = m1.config.get_string("cwrf.scope");
  const Table pruned = pruning_sweep(m1, tfo, {sparsity}, pruning);
  const auto& p = pruned.rows.front();
  table.add_row({"M3", fmt::format("{:g} % pruned by TFO, no retraining", sparsity * 100), p[2], p[3], p[4], p[5], 0});
  return table;
}

void plot_lottery(const Table& table, const std::filesystem::path& dir) {
  std::string data = "# model test_acc\n";
  for (size_t i = 0; i < table.rows.size(); ++i)
    data += fmt::format("{} {} {}\n", i, table.rows[i][0].get<std::string>(),
                        table.rows[i][2].is_number() ? table.rows[i][2].get<double>() : std::nan(""));
  const auto dat = dir / "lottery.dat";
  write_file_atomic(dat, data);
  render_gnuplot(fmt::format("set style fill solid 0.7\nset boxwidth 0.6\nset yrange [0:1]\nset ylabel 'test accuracy'\n"
                             "set grid ytics\nunset key\nplot {0} using 1:3:xtic(2) with boxes lc rgb '#1f77b4', "
                             "{0} using 1:3:(sprintf('%.3f', $3)) with labels offset 0,1 notitle\n",
                             gnuplot_quote(dat.string())),
                 dir / "lottery.png");
}

const std::vector<Approach>& ablation_approaches() {
  static const std::vector<Approach> approaches = {
      {"A1", "remove", "A1: remove, fine-tune the rest"},
      {"A2", "rewind-only", "A2: rewind, fine-tune them"},
      {"A3", "cwrf", "A3 (CWRF): rewind, fine-tune the rest"},
  };
  return approaches;
}

nlohmann::json ablation_overrides(const std::string& mode, double rate) {
  return {{"cwrf.mode", mode}, {"cwrf.rate", rate}};
}

Table ablation_table(const std::vector<AblationModel>& models) {
  Table table;
  table.columns = {"approach", "rate", "test_acc", "train_ce", "test_ce", "rewound_test_acc", "model"};
  for (const AblationModel& m : models)
    table.add_row({m.approach, m.rate >= 0 ? nlohmann::json(m.rate) : nlohmann::json(nullptr),
                   number(metric(m.metrics, "test_acc")), number(metric(m.metrics, "train_loss")),
                   number(metric(m.metrics, "test_loss")),
                   m.rate >= 0 ? number(metric(m.metrics, "rewound_test_acc")) : nlohmann::json(nullptr), m.dir});
  return table;
}

void plot_ablation(const Table& table, const std::filesystem::path& dir) {
  std::map<std::string, std::string> series;
  double scratch = std::nan("");
  for (const auto& row : table.rows) {
    const std::string approach = row[0].get<std::string>();
    if (approach == "scratch") {
      if (row[2].is_number()) scratch = row[2].get<double>();
      continue;
    }
    if (row[2].is_number()) series[approach] += fmt::format("{} {}\n", row[1].get<double>() * 100.0, row[2].get<double>());
  }
  std::string plots;
  for (const Approach& a : ablation_approaches()) {
    if (!series.count(a.label)) continue;
    const auto dat = dir / ("ablation-" + a.label + ".dat");
    write_file_atomic(dat, "# rate_percent test_acc\n" + series.at(a.label));
    plots += fmt::format("{}{} using 1:2 with linespoints lw 2 title {}", plots.empty() ? "" : ", ",
                         gnuplot_quote(dat.string()), gnuplot_quote(a.title));
  }
  if (std::isfinite(scratch)) plots += fmt::format(", {} with lines dt 2 title 'from scratch, same objective'", scratch);
  if (plots.empty()) return;
  render_gnuplot(fmt::format("set logscale x\nset xlabel 'selected weights r (%)'\nset ylabel 'test accuracy'\n"
                             "set key bottom left\nset grid\nplot {}\n",
                             plots),
                 dir / "ablation.png");
}

nlohmann::json rewinding_overrides(double rate) {
  return {{"cwrf.mode", "cwrf"}, {"cwrf.rate", rate}, {"cwrf.epochs", 0}};
}

Table rewinding_table(const std::vector<std::pair<double, nlohmann::json>>& models, const nlohmann::json& parent,
                      int64_t classes) {
  Table table;
  table.columns = {"rate", "rewound_test_acc", "rewound_train_acc", "test_acc_before", "chance"};
  for (const auto& [rate, m] : models)
    table.add_row({rate, number(metric(m, "rewound_test_acc")), number(metric(m, "rewound_train_acc")),
                   number(metric(parent, "test_acc")), 1.0 / static_cast<double>(std::max<int64_t>(classes, 1))});
  return table;
}

Table lottery_study(const ModelContext& context, double sparsity, const std::filesystem::path& models_dir,
                    const std::filesystem::path& dir, const job::JobCallbacks& callbacks) {
  config::Config c = context.config;
  c.merge_json(lottery_overrides(sparsity, context.config.get_int("epochs")), "the lottery study");
  const job::ModelJobResult m2 = job::run_model_job(c, models_dir, context.dir.path, callbacks, context.job.get());
  const Table table = lottery_table(context, job::open_model_dir(m2.dir), sparsity, models_dir / "scores");
  plot_lottery(table, dir);
  return table;
}

Table ablation_study(const ModelContext& context, const std::vector<double>& rates,
                     const std::function<void(config::Config&)>& adjust, const std::filesystem::path& models_dir,
                     const job::JobCallbacks& callbacks) {
  std::vector<AblationModel> models;
  for (double rate : rates) {
    for (const Approach& a : ablation_approaches()) {
      config::Config c = context.config;
      if (adjust) adjust(c);
      c.merge_json(ablation_overrides(a.mode, rate), "the ablation");
      const job::ModelJobResult r = job::run_model_job(c, models_dir, context.dir.path, callbacks, context.job.get());
      models.push_back({a.label, rate, r.metrics, r.dir.filename().string()});
    }
  }
  // The baseline: the same objective trained from scratch (Fig. 5's dotted line, Table 2's last rows).
  config::Config scratch = job::model_config(context.dir);
  if (adjust) adjust(scratch);
  scratch.clear_prefix("cwrf.");
  scratch.set("threads", context.config.get_int("threads"));
  const job::ModelJobResult base = job::run_model_job(scratch, models_dir, {}, callbacks, context.job.get());
  models.push_back({"scratch", -1.0, base.metrics, base.dir.filename().string()});
  return ablation_table(models);
}

}  // namespace cwrf::analysis
