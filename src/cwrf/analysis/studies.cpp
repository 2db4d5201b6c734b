#include "cwrf/analysis/studies.h"

#include "cwrf/analysis/pruning.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/gnuplot.h"
#include "cwrf/job/model_job.h"

#include <fmt/format.h>

#include <sstream>

namespace cwrf::analysis {

namespace {

std::vector<double> test_acc_curve(const std::filesystem::path& log) {
  std::vector<double> curve;
  std::istringstream in(read_file(log));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    curve.push_back(j.at("test_acc").is_number() ? j.at("test_acc").get<double>() : std::nan(""));
  }
  return curve;
}

double metric(const nlohmann::json& m, const char* key) { return m.value(key, std::nan("")); }

}  // namespace

Table lottery_study(const ModelContext& context, double sparsity, const std::filesystem::path& models_dir,
                    const std::filesystem::path& dir, const job::JobCallbacks& callbacks) {
  require(sparsity > 0.0 && sparsity < 1.0, fmt::format("sparsity must be in (0, 1), got {}", sparsity));
  Table table;
  table.columns = {"model", "description", "test_acc", "test_loss", "train_acc", "train_loss", "epochs"};
  const auto& m1 = context.dir.metrics;
  const int64_t epochs = context.config.get_int("epochs");
  table.add_row({"M1", "trained from scratch", metric(m1, "test_acc"), metric(m1, "test_loss"), metric(m1, "train_acc"),
                 metric(m1, "train_loss"), epochs});

  config::Config c = context.config;
  c.set("cwrf.mode", "lottery");
  c.set("cwrf.score", "tfo");
  c.set("cwrf.rate", sparsity);
  c.set("cwrf.epochs", epochs);
  const job::ModelJobResult m2 = job::run_model_job(c, models_dir, context.dir.path, callbacks, context.job.get());
  table.add_row({"M2", fmt::format("{:g} % pruned by TFO, survivors rewound to θ_vn and retrained", sparsity * 100),
                 metric(m2.metrics, "test_acc"), metric(m2.metrics, "test_loss"), metric(m2.metrics, "train_acc"),
                 metric(m2.metrics, "train_loss"), epochs});

  // M3: M1 with the same mask (the TFO scores are the cached ones M2 used), not retrained.
  const weights::Scores tfo = model_scores(context, weights::ScoreMethod::Tfo, models_dir / "scores");
  const Table pruned = pruning_sweep(context, tfo, {sparsity});
  const auto& p = pruned.rows.front();
  table.add_row({"M3", fmt::format("{:g} % pruned by TFO, no retraining", sparsity * 100), p[2], p[3], p[4], p[5], 0});

  // Test accuracy per epoch: M1 and M2 from their logs, M3 as a constant.
  const std::vector<double> c1 = test_acc_curve(context.dir.path / "log.jsonl");
  const std::vector<double> c2 = test_acc_curve(m2.dir / "log.jsonl");
  std::string data = "# epoch M1 M2 M3\n";
  for (size_t e = 0; e < std::max(c1.size(), c2.size()); ++e)
    data += fmt::format("{} {} {} {}\n", e + 1, e < c1.size() ? c1[e] : std::nan(""), e < c2.size() ? c2[e] : std::nan(""),
                        p[2].get<double>());
  const auto dat = dir / "lottery-curves.dat";
  write_file_atomic(dat, data);
  render_gnuplot(fmt::format("set xlabel 'epoch'\nset ylabel 'test accuracy'\nset key bottom right\nset grid\n"
                             "plot {0} using 1:2 with lines lw 2 title 'M1: trained', "
                             "{0} using 1:3 with lines lw 2 title 'M2: pruned, rewound, retrained', "
                             "{0} using 1:4 with lines dt 2 title 'M3: pruned, not retrained'\n",
                             gnuplot_quote(dat.string())),
                 dir / "lottery.png");
  return table;
}

Table ablation_study(const ModelContext& context, const std::vector<double>& rates,
                     const std::function<void(config::Config&)>& adjust, const std::filesystem::path& models_dir,
                     const job::JobCallbacks& callbacks) {
  Table table;
  table.columns = {"approach", "rate", "test_acc", "train_ce", "test_ce", "rewound_test_acc", "model"};
  const std::pair<const char*, const char*> approaches[] = {
      {"A1", "remove"}, {"A2", "rewind-only"}, {"A3", "cwrf"}};
  for (double rate : rates) {
    for (const auto& [label, mode] : approaches) {
      config::Config c = context.config;
      if (adjust) adjust(c);
      c.set("cwrf.mode", mode);
      c.set("cwrf.rate", rate);
      const job::ModelJobResult r = job::run_model_job(c, models_dir, context.dir.path, callbacks, context.job.get());
      table.add_row({label, rate, metric(r.metrics, "test_acc"), metric(r.metrics, "train_loss"),
                     metric(r.metrics, "test_loss"), metric(r.metrics, "rewound_test_acc"),
                     r.dir.filename().string()});
    }
  }
  // The baseline: the same objective trained from scratch (Fig. 5's dotted line, Table 2's last rows).
  config::Config scratch = job::model_config(context.dir);
  if (adjust) adjust(scratch);
  scratch.clear_prefix("cwrf.");
  scratch.set("threads", context.config.get_int("threads"));
  const job::ModelJobResult base = job::run_model_job(scratch, models_dir, {}, callbacks, context.job.get());
  table.add_row({"scratch", nullptr, metric(base.metrics, "test_acc"), metric(base.metrics, "train_loss"),
                 metric(base.metrics, "test_loss"), nullptr, base.dir.filename().string()});
  return table;
}

void plot_ablation(const Table& table, const std::filesystem::path& dir) {
  std::map<std::string, std::string> series;
  double scratch = std::nan("");
  for (const auto& row : table.rows) {
    const std::string approach = row[0].get<std::string>();
    if (approach == "scratch") {
      scratch = row[2].get<double>();
      continue;
    }
    series[approach] += fmt::format("{} {}\n", row[1].get<double>() * 100.0, row[2].get<double>());
  }
  std::string plots;
  const std::map<std::string, std::string> titles = {
      {"A1", "A1: remove, fine-tune the rest"}, {"A2", "A2: rewind, fine-tune them"}, {"A3", "A3 (CWRF): rewind, fine-tune the rest"}};
  for (const auto& [approach, data] : series) {
    const auto dat = dir / ("ablation-" + approach + ".dat");
    write_file_atomic(dat, "# rate_percent test_acc\n" + data);
    plots += fmt::format("{}{} using 1:2 with linespoints lw 2 title {}", plots.empty() ? "" : ", ",
                         gnuplot_quote(dat.string()), gnuplot_quote(titles.at(approach)));
  }
  if (std::isfinite(scratch)) plots += fmt::format(", {} with lines dt 2 title 'from scratch, same objective'", scratch);
  render_gnuplot(fmt::format("set logscale x\nset xlabel 'selected weights r (%)'\nset ylabel 'test accuracy'\n"
                             "set key bottom left\nset grid\nplot {}\n",
                             plots),
                 dir / "ablation.png");
}

}  // namespace cwrf::analysis
