#include "cwrf/experiment/report.h"

#include "cwrf/attack/settings.h"
#include "cwrf/common/error.h"
#include "cwrf/common/mean_sd.h"
#include "cwrf/common/files.h"
#include "cwrf/common/gnuplot.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace cwrf::experiment {

namespace {

// The headline variants, as the paper reports them (LiRA and RMIA with IN and OUT shadows).
const char* kLira = "lira-online";
const char* kRmia = "rmia-online";
const char* kLevels[] = {"0.001", "1e-05"};

const nlohmann::json* find_variant(const nlohmann::json& attack, const std::string& name) {
  if (!attack.contains("attacks")) return nullptr;
  for (const auto& v : attack.at("attacks"))
    if (v.value("name", "") == name && !v.contains("skipped")) return &v;
  return nullptr;
}

// Per-target values of one metric of one variant (empty when the variant did not run).
std::vector<double> per_target(const nlohmann::json& attack, const std::string& variant, const std::string& metric,
                               const std::string& level = "") {
  std::vector<double> out;
  const nlohmann::json* v = find_variant(attack, variant);
  if (v == nullptr) return out;
  for (const auto& t : v->at("per_target"))
    out.push_back(level.empty() ? t.at(metric).get<double>() : t.at(metric).at(level).get<double>());
  return out;
}

// Mean over targets within each run; then mean (std) over runs if there are several, else
// over the targets of the single run.
MeanSd combine(const std::vector<std::vector<double>>& per_run) {
  if (per_run.size() == 1) return mean_sd(per_run.front());
  std::vector<double> means;
  for (const auto& v : per_run)
    if (!v.empty()) means.push_back(mean_sd(v).mean);
  return mean_sd(means);
}

std::string cell(const MeanSd& s, double scale = 100.0) {
  if (s.n == 0 || !std::isfinite(s.mean)) return "n/a";
  return fmt::format("{:.2f} ({:.2f})", s.mean * scale, s.sd * scale);
}

struct RowStats {
  MeanSd test_acc;
  std::map<std::string, MeanSd> values;  // "lira.auc", "lira.tpr@0.001", ...
};

RowStats row_stats(size_t row, const std::vector<RowRun>& results) {
  RowStats out;
  std::vector<std::vector<double>> acc;
  std::map<std::string, std::vector<std::vector<double>>> values;
  for (const RowRun& r : results) {
    if (r.row != row) continue;
    acc.push_back(r.target_test_acc);
    for (const auto& [label, variant] : {std::pair<std::string, std::string>{"lira", kLira}, {"rmia", kRmia}}) {
      values[label + ".auc"].push_back(per_target(r.attack, variant, "auc"));
      for (const char* level : kLevels)
        values[label + ".tpr@" + level].push_back(per_target(r.attack, variant, "tpr_at_fpr", level));
    }
  }
  out.test_acc = combine(acc);
  for (const auto& [key, runs] : values) out.values[key] = combine(runs);
  return out;
}

}  // namespace

Table report_table(const Experiment& e, const std::vector<RowRun>& results, bool markdown_strings) {
  Table table;
  if (markdown_strings) {
    table.columns = {"Defense",        "Test Acc. (%)",     "LiRA AUC (%)", "LiRA TPR@0.1% FPR", "LiRA TPR@0.001% FPR",
                     "RMIA AUC (%)", "RMIA TPR@0.1% FPR", "RMIA TPR@0.001% FPR"};
  } else {
    table.columns = {"row"};
    for (const char* m : {"test_acc", "lira_auc", "lira_tpr_0.001", "lira_tpr_1e-05", "rmia_auc", "rmia_tpr_0.001",
                          "rmia_tpr_1e-05"}) {
      table.columns.push_back(std::string(m) + "_mean");
      table.columns.push_back(std::string(m) + "_std");
    }
    table.columns.push_back("n");
  }
  for (size_t r = 0; r < e.rows.size(); ++r) {
    const RowStats s = row_stats(r, results);
    const std::vector<MeanSd> stats = {s.test_acc,
                                     s.values.at("lira.auc"),
                                     s.values.at("lira.tpr@0.001"),
                                     s.values.at("lira.tpr@1e-05"),
                                     s.values.at("rmia.auc"),
                                     s.values.at("rmia.tpr@0.001"),
                                     s.values.at("rmia.tpr@1e-05")};
    std::vector<nlohmann::json> row = {e.rows[r].name};
    for (const MeanSd& st : stats) {
      if (markdown_strings) {
        row.push_back(cell(st));
      } else {
        row.push_back(std::isfinite(st.mean) ? nlohmann::json(st.mean) : nlohmann::json(nullptr));
        row.push_back(std::isfinite(st.sd) ? nlohmann::json(st.sd) : nlohmann::json(nullptr));
      }
    }
    if (!markdown_strings) row.push_back(s.test_acc.n);
    table.add_row(row);
  }
  return table;
}

namespace {

// ROC curves of the first target of the first run, one curve per row, log-log.
void plot_rocs(const Experiment& e, const std::vector<RowRun>& results, const std::filesystem::path& dir) {
  for (const auto& [label, variant] : {std::pair<std::string, std::string>{"lira", kLira}, {"rmia", kRmia}}) {
    std::string plots;
    for (size_t r = 0; r < e.rows.size(); ++r) {
      const RowRun* first = nullptr;
      for (const RowRun& rr : results)
        if (rr.row == r && (first == nullptr || rr.run < first->run)) first = &rr;
      if (first == nullptr) continue;
      const auto csv = first->attack_dir / "roc" / (variant + ".csv");
      if (!std::filesystem::exists(csv)) continue;
      // Keep the first target's points, as "fpr tpr" with zeros lifted onto the log axes.
      std::istringstream in(read_file(csv));
      std::string line, first_target;
      std::getline(in, line);  // header: target,threshold,fpr,tpr
      std::string data;
      while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        std::string item;
        while (std::getline(ls, item, ',')) f.push_back(item);
        if (f.size() < 4) continue;
        if (first_target.empty()) first_target = f[0];
        if (f[0] != first_target) break;
        data += f[2] + " " + f[3] + "\n";
      }
      const auto dat = dir / fmt::format("roc-{}-row{}.dat", label, r);
      write_file_atomic(dat, "# fpr tpr\n" + data);
      plots += fmt::format("{}{} using ($1 > 0 ? $1 : 1e-6):($2 > 0 ? $2 : 1e-6) with lines lw 2 title {}",
                           plots.empty() ? "" : ", ", gnuplot_quote(dat.string()), gnuplot_quote(e.rows[r].name));
    }
    if (plots.empty()) continue;
    render_gnuplot(fmt::format("set logscale xy\nset xrange [1e-5:1]\nset yrange [1e-5:1]\n"
                               "set xlabel 'false positive rate'\nset ylabel 'true positive rate'\n"
                               "set title '{} (first target of run 0)'\nset key bottom right\nset grid\n"
                               "plot {}, x with lines dt 2 lc rgb 'gray' title 'chance'\n",
                               label == "lira" ? "LiRA online" : "RMIA online", plots),
                   dir / fmt::format("roc-{}.png", label));
  }
}

void plot_privacy_utility(const Experiment& e, const std::vector<RowRun>& results, const std::filesystem::path& dir) {
  std::string data = "# row lira_auc rmia_auc test_acc name\n";
  for (size_t r = 0; r < e.rows.size(); ++r) {
    const RowStats s = row_stats(r, results);
    data += fmt::format("{} {} {} {} \"{}\"\n", r, s.values.at("lira.auc").mean * 100, s.values.at("rmia.auc").mean * 100,
                        s.test_acc.mean * 100, e.rows[r].name);
  }
  const auto dat = dir / "privacy-utility.dat";
  write_file_atomic(dat, data);
  render_gnuplot(fmt::format("set xlabel 'attack AUC (%), lower is more private'\nset ylabel 'test accuracy (%)'\n"
                             "set key top left\nset grid\nset offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08\n"
                             "plot {0} using 2:4 with points pt 7 ps 1.5 title 'LiRA', "
                             "{0} using 3:4 with points pt 5 ps 1.5 title 'RMIA', "
                             "{0} using 2:4:5 with labels offset 1,0.8 font ',8' notitle\n",
                             gnuplot_quote(dat.string())),
                 dir / "privacy-utility.png");
}

}  // namespace

std::string write_report(const Experiment& e, const std::vector<RowRun>& results, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const Table pretty = report_table(e, results, true);
  const Table raw = report_table(e, results, false);
  raw.write(dir / "results");
  const std::string stat_note =
      e.runs() > 1 ? fmt::format("mean (std) over {} runs, each averaged over {} target(s)", e.runs(), e.targets())
                   : fmt::format("mean (std) over {} target model(s) of one run", e.targets());
  std::string md = fmt::format("# {}\n\n{} models per row (leave-one-out: each target attacked with the other {} as "
                               "shadows), {}. LiRA and RMIA online (IN and OUT shadows), {} queries. Percentages; lower "
                               "attack numbers are better.\n\n",
                               e.name(), e.models(), e.models() - 1, stat_note,
                               attack::resolved_queries(e.attack, e.base.get_string("model.name")).size());
  md += pretty.to_markdown();
  write_file_atomic(dir / "report.md", md);
  write_file_atomic(dir / "experiment.json", experiment_json(e).dump(2) + "\n");
  plot_rocs(e, results, dir);
  plot_privacy_utility(e, results, dir);
  return md;
}

}  // namespace cwrf::experiment
