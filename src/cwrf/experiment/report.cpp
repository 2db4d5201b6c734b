#include "cwrf/experiment/report.h"

#include "cwrf/attack/roc.h"
#include "cwrf/attack/settings.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/gnuplot.h"
#include "cwrf/common/mean_sd.h"
#include "cwrf/experiment/comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace cwrf::experiment {

namespace {

const nlohmann::json* find_variant(const nlohmann::json& attack, const std::string& name) {
  if (!attack.contains("attacks")) return nullptr;
  for (const auto& v : attack.at("attacks"))
    if (v.value("name", "") == name && !v.contains("skipped")) return &v;
  return nullptr;
}

// Per-target values of one metric of one variant (empty when the variant did not run); without a
// variant, a metric of the target models themselves (results.json "models", e.g. dp_epsilon).
std::vector<double> per_target(const nlohmann::json& attack, const ReportColumn& c) {
  std::vector<double> out;
  if (c.variant.empty()) {
    if (!attack.contains("targets") || !attack.contains("models")) return out;
    for (const auto& t : attack.at("targets")) {
      const nlohmann::json& m = attack.at("models").at(t.get<size_t>());
      out.push_back(m.contains(c.metric) && m.at(c.metric).is_number() ? m.at(c.metric).get<double>() : std::nan(""));
    }
    return out;
  }
  const nlohmann::json* v = find_variant(attack, c.variant);
  if (v == nullptr) return out;
  for (const auto& t : v->at("per_target")) {
    const nlohmann::json& m = c.level.empty() ? t.at(c.metric) : t.at(c.metric).at(c.level);
    out.push_back(m.is_number() ? m.get<double>() : std::nan(""));
  }
  return out;
}

// The figure of a row over runs: the mean over targets within each run, then mean (std) over the
// runs when there are several (the paper's "three independent runs"), else over the targets.
MeanSd over_runs(const std::vector<std::vector<double>>& values) {
  auto finite = [](const std::vector<double>& v) {
    std::vector<double> out;
    for (double x : v)
      if (std::isfinite(x)) out.push_back(x);
    return out;
  };
  if (values.size() == 1) return mean_sd(finite(values.front()));
  std::vector<double> means;
  for (const auto& v : values)
    if (!finite(v).empty()) means.push_back(mean_sd(finite(v)).mean);
  return mean_sd(means);
}

// The spread over targets: each run's sd over its targets, averaged over the runs.
double target_spread(const std::vector<std::vector<double>>& values) {
  std::vector<double> sds;
  for (const auto& v : values) {
    std::vector<double> finite;
    for (double x : v)
      if (std::isfinite(x)) finite.push_back(x);
    if (finite.size() > 1) sds.push_back(mean_sd(finite).sd);
  }
  return sds.empty() ? std::nan("") : mean_sd(sds).mean;
}

std::string cell(const MeanSd& s, double spread, bool with_spread, double scale) {
  if (s.n == 0 || !std::isfinite(s.mean)) return "n/a";
  std::string out = fmt::format("{:.2f} ({:.2f})", s.mean * scale, s.sd * scale);
  if (with_spread && std::isfinite(spread)) out += fmt::format(" ±{:.2f}", spread * scale);
  return out;
}

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

std::vector<ReportColumn> report_columns(const Experiment& e) {
  const std::string lira = "lira-" + e.settings.get_string("experiment.report_lira");
  const std::string rmia = "rmia-" + e.settings.get_string("experiment.report_rmia");
  std::vector<ReportColumn> columns = {
      {"test_acc", "Test Acc. (%)", "", "", "", true},
      {"lira_auc", "LiRA AUC (%)", lira, "auc", ""},
      {"lira_tpr_0.001", "LiRA TPR@0.1% FPR", lira, "tpr_at_fpr", "0.001"},
      {"lira_tpr_1e-05", "LiRA TPR@0.001% FPR", lira, "tpr_at_fpr", "1e-05"},
      {"rmia_auc", "RMIA AUC (%)", rmia, "auc", ""},
      {"rmia_tpr_0.001", "RMIA TPR@0.1% FPR", rmia, "tpr_at_fpr", "0.001"},
      {"rmia_tpr_1e-05", "RMIA TPR@0.001% FPR", rmia, "tpr_at_fpr", "1e-05"},
  };
  // The newer attacks' headline variants, where the experiment selects them: BASE online and
  // BaVarIA-t online (the setting of LiRA's and RMIA's columns), QMIA at its largest α (the level
  // its regressor can fit best from a few hundred known non-members).
  const std::vector<std::string> selected = e.attack.get_strings("attack.attacks");
  auto runs = [&](const std::string& family) {
    return std::find(selected.begin(), selected.end(), family) != selected.end();
  };
  if (runs("base")) {
    columns.push_back({"base_auc", "BASE AUC (%)", "base-online", "auc", ""});
    columns.push_back({"base_tpr_0.001", "BASE TPR@0.1% FPR", "base-online", "tpr_at_fpr", "0.001"});
  }
  if (runs("bavaria")) {
    columns.push_back({"bavaria_auc", "BaVarIA AUC (%)", "bavaria-t-online", "auc", ""});
    columns.push_back({"bavaria_tpr_0.001", "BaVarIA TPR@0.1% FPR", "bavaria-t-online", "tpr_at_fpr", "0.001"});
  }
  if (runs("qmia")) {
    std::vector<double> alphas = e.attack.get_floats("attack.qmia_fpr");
    if (alphas.empty()) alphas = e.attack.get_floats("attack.fpr");
    const double alpha = *std::max_element(alphas.begin(), alphas.end());
    const std::string qmia = fmt::format("qmia-{:g}", alpha);
    columns.push_back({"qmia_auc", "QMIA AUC (%)", qmia, "auc", ""});
    columns.push_back({"qmia_tpr_0.001", "QMIA TPR@0.1% FPR", qmia, "tpr_at_fpr", "0.001"});
    // The paper's attack itself: flag the scores above the predicted (1 − α) quantile; its TPR and
    // the FPR it reached on the target's non-members (α when the regressor is right).
    columns.push_back({"qmia_threshold_tpr", fmt::format("QMIA TPR at α={:g}", alpha), qmia, "qmia", "threshold_tpr"});
    columns.push_back({"qmia_threshold_fpr", fmt::format("QMIA FPR at α={:g}", alpha), qmia, "qmia", "threshold_fpr"});
  }
  // The empirical ε lower bound (95 % Clopper-Pearson) of the LiRA column's attack, and beside it
  // for DP-SGD rows the accountant's ε of the same targets.
  columns.push_back({"lira_eps_lb", "ε_lb (LiRA)", lira, "empirical_epsilon", "lower_bound", false, 1.0});
  bool dp = e.base.has("defense.name") && e.base.get_string("defense.name") == "dpsgd";
  for (const Row& row : e.rows)
    dp |= row.overrides.contains("defense.name") && row.overrides.at("defense.name") == "dpsgd";
  if (dp) columns.push_back({"dp_epsilon", "DP ε (accountant)", "", "dp_epsilon", "", false, 1.0});
  return columns;
}

std::vector<std::vector<double>> column_values(const Experiment& e, const std::vector<RowRun>& results, size_t row,
                                               const ReportColumn& c) {
  std::vector<std::vector<double>> values(static_cast<size_t>(e.runs()));
  for (const RowRun& r : results) {
    if (r.row != row || r.run < 0 || r.run >= e.runs()) continue;
    values[static_cast<size_t>(r.run)] =
        c.variant.empty() && c.metric.empty() ? r.target_test_acc : per_target(r.attack, c);
  }
  values.erase(std::remove_if(values.begin(), values.end(), [](const auto& v) { return v.empty(); }), values.end());
  return values;
}

Table report_table(const Experiment& e, const std::vector<RowRun>& results, bool markdown_strings) {
  Table table;
  table.columns = {markdown_strings ? "Defense" : "row"};
  for (const ReportColumn& c : report_columns(e)) {
    if (markdown_strings) {
      table.columns.push_back(c.label);
    } else {
      for (const char* part : {"_mean", "_std", "_target_sd"}) table.columns.push_back(c.key + part);
    }
  }
  if (!markdown_strings) table.columns.push_back("runs");
  for (size_t r = 0; r < e.rows.size(); ++r) {
    std::vector<nlohmann::json> row = {e.rows[r].name};
    int64_t runs = 0;
    for (const ReportColumn& c : report_columns(e)) {
      const auto values = column_values(e, results, r, c);
      runs = std::max<int64_t>(runs, static_cast<int64_t>(values.size()));
      const MeanSd s = over_runs(values);
      const double spread = target_spread(values);
      if (markdown_strings) {
        row.push_back(cell(s, spread, values.size() > 1, c.scale));
      } else {
        row.push_back(number(s.mean));
        row.push_back(number(s.sd));
        row.push_back(number(spread));
      }
    }
    if (!markdown_strings) row.push_back(runs);
    table.add_row(row);
  }
  return table;
}

namespace {

// Whether the "CWRF vs defense alone" comparisons test a column: not TPR at 0.001 % FPR (at most 0
// false positives here: no contrast to test), nor QMIA's rates at its own threshold (its FPR moves
// with the regressor, so neither is a figure at a fixed operating point).
bool compared(const ReportColumn& c) {
  return c.level != "1e-05" && c.key != "qmia_threshold_tpr" && c.key != "qmia_threshold_fpr";
}

}  // namespace

Table comparison_table(const Experiment& e, const std::vector<RowRun>& results, bool markdown_strings) {
  Table table;
  table.columns = {"row", "compared with"};
  for (const ReportColumn& c : report_columns(e)) {
    if (!compared(c)) continue;
    if (markdown_strings) table.columns.push_back("Δ " + c.label);
    else
      for (const char* part : {"_diff", "_low", "_high", "_excludes_zero"}) table.columns.push_back(c.key + part);
  }
  if (!markdown_strings) table.columns.push_back("pairs");
  for (size_t r = 0; r < e.rows.size(); ++r) {
    if (!e.rows[r].cwrf) continue;
    const int a = defense_alone_row(e, r);
    if (a < 0) continue;
    std::vector<nlohmann::json> row = {e.rows[r].name, e.rows[a].name};
    int64_t pairs = 0;
    for (const ReportColumn& c : report_columns(e)) {
      if (!compared(c)) continue;
      const Difference d = paired_difference(column_values(e, results, static_cast<size_t>(a), c),
                                             column_values(e, results, r, c), 2000, 0x5eed + r);
      pairs = d.pairs;
      if (markdown_strings) {
        row.push_back(std::isfinite(d.mean) ? fmt::format("{:+.2f} [{:+.2f}, {:+.2f}]{}", d.mean * c.scale,
                                                          d.low * c.scale, d.high * c.scale, d.excludes_zero ? " *" : "")
                                            : "n/a");
      } else {
        row.push_back(number(d.mean));
        row.push_back(number(d.low));
        row.push_back(number(d.high));
        row.push_back(d.excludes_zero);
      }
    }
    if (!markdown_strings) row.push_back(pairs);
    table.add_row(row);
  }
  return table;
}

namespace {

// One sentence per pair, from the intervals: what CWRF changed, and whether it is more than noise.
std::string pair_sentences(const Experiment& e, const std::vector<RowRun>& results) {
  std::string out;
  for (size_t r = 0; r < e.rows.size(); ++r) {
    if (!e.rows[r].cwrf) continue;
    const int a = defense_alone_row(e, r);
    if (a < 0) continue;
    std::vector<std::string> parts;
    int privacy_better = 0, privacy_worse = 0, privacy_metrics = 0;
    bool utility_worse = false, utility_better = false;
    for (const ReportColumn& c : report_columns(e)) {
      if (!compared(c)) continue;
      const Difference d = paired_difference(column_values(e, results, static_cast<size_t>(a), c),
                                             column_values(e, results, r, c), 2000, 0x5eed + r);
      if (!std::isfinite(d.mean)) continue;
      const bool up = d.mean > 0;
      const std::string verdict = !d.excludes_zero ? "not significant" : (up ? "significantly higher" : "significantly lower");
      parts.push_back(fmt::format("{} {:+.2f} [{:+.2f}, {:+.2f}] ({})", c.label, d.mean * c.scale, d.low * c.scale,
                                  d.high * c.scale, verdict));
      if (c.higher_is_better) {
        utility_worse |= d.excludes_zero && !up;
        utility_better |= d.excludes_zero && up;
      } else {
        ++privacy_metrics;
        privacy_better += d.excludes_zero && !up;
        privacy_worse += d.excludes_zero && up;
      }
    }
    std::string summary;
    if (privacy_better > 0 && privacy_worse == 0)
      summary = fmt::format("CWRF lowers {} of {} attack figures significantly{}", privacy_better, privacy_metrics,
                            utility_worse ? ", at a significant cost in test accuracy"
                                          : (utility_better ? ", and raises test accuracy significantly"
                                                            : ", with no significant change in test accuracy"));
    else if (privacy_worse > 0 && privacy_better == 0)
      summary = fmt::format("CWRF makes {} of {} attack figures significantly worse", privacy_worse, privacy_metrics);
    else if (privacy_worse > 0)
      summary = "the attack figures move both ways, significantly";
    else
      summary = fmt::format("no attack figure changes significantly at this scale{}",
                            utility_worse ? "; test accuracy drops significantly" : "");
    out += fmt::format("- **{} vs {}**: {}. {}.\n", e.rows[r].name, e.rows[a].name, summary, fmt::join(parts, "; "));
  }
  return out;
}

// How many false positives each reported FPR level allows with the targets' non-members.
std::string false_positive_note(const Experiment& e, const std::vector<RowRun>& results) {
  int64_t lo = -1, hi = -1;
  for (const RowRun& r : results)
    if (const nlohmann::json* v = find_variant(r.attack, report_columns(e)[1].variant))
      for (const auto& t : v->at("per_target")) {
        const int64_t n = t.at("non_members").get<int64_t>();
        lo = lo < 0 ? n : std::min(lo, n);
        hi = std::max(hi, n);
      }
  if (lo < 0) return "";
  return fmt::format("Each target has {} non-members{}: TPR at FPR ≤ 0.1 % allows {} false positive{}, at ≤ 0.001 % "
                     "{} (TPR at the lowest FPR levels is the fraction of members scored above every non-member).\n",
                     lo, lo == hi ? "" : fmt::format(" to {}", hi), attack::allowed_false_positives(1e-3, lo),
                     attack::allowed_false_positives(1e-3, lo) == 1 ? "" : "s",
                     attack::allowed_false_positives(1e-5, lo));
}

std::string selection_markdown(const Experiment& e, const std::vector<RateSelection>& selections) {
  if (selections.empty()) return "";
  std::string md = fmt::format(
      "\n## The choice of r\n\nRule (on the validation split, which no attack scores): the largest r whose validation "
      "accuracy, averaged over each run's first {} models, is at least the reference's minus {:g} points; the "
      "reference is the same defense trained from scratch on those models. Numbers in percent.\n\n"
      "| row | run | r | validation acc. | test acc. | test acc. right after rewinding | chosen |\n"
      "|---|---:|---:|---:|---:|---:|---|\n",
      std::min<int64_t>(e.models(), e.settings.get_int("experiment.rate_models")),
      e.settings.get_float("experiment.rate_tolerance") * 100);
  for (const RateSelection& s : selections) {
    for (const RateCandidate& c : s.candidates)
      md += fmt::format("| {} | {} | {:g} % | {:.2f} | {:.2f} | {:.2f} | {} |\n", e.rows[s.row].name, s.run, c.rate * 100,
                        c.val_acc * 100, c.test_acc * 100, c.rewound_test_acc * 100,
                        c.rate == s.chosen ? (s.within_tolerance ? "**yes**" : "**yes** (none within tolerance)") : "");
    md += fmt::format("| {} | {} | reference: {} | {:.2f} | | | |\n", e.rows[s.row].name, s.run, s.reference,
                      s.reference_val_acc * 100);
  }
  return md;
}

// ROC curves of the first target of the first run, one curve per row, log-log.
void plot_rocs(const Experiment& e, const std::vector<RowRun>& results, const std::filesystem::path& dir) {
  const std::vector<ReportColumn> columns = report_columns(e);
  for (const auto& [label, variant] :
       {std::pair<std::string, std::string>{"lira", columns[1].variant}, {"rmia", columns[4].variant}}) {
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
                               variant, plots),
                   dir / fmt::format("roc-{}.png", label));
  }
}

// Paper Fig. 9: test accuracy against attack AUC, one labelled point per row and attack.
void plot_privacy_utility(const Experiment& e, const std::vector<RowRun>& results, const std::filesystem::path& dir) {
  const std::vector<ReportColumn> columns = report_columns(e);
  auto column = [&](const std::string& key) {
    return *std::find_if(columns.begin(), columns.end(), [&](const ReportColumn& c) { return c.key == key; });
  };
  std::string data = "# row lira_auc rmia_auc test_acc name\n";
  for (size_t r = 0; r < e.rows.size(); ++r)
    data += fmt::format("{} {} {} {} \"{}\"\n", r, over_runs(column_values(e, results, r, column("lira_auc"))).mean * 100,
                        over_runs(column_values(e, results, r, column("rmia_auc"))).mean * 100,
                        over_runs(column_values(e, results, r, column("test_acc"))).mean * 100, e.rows[r].name);
  const auto dat = dir / "privacy-utility.dat";
  write_file_atomic(dat, data);
  render_gnuplot(fmt::format("set xlabel 'attack AUC (%), lower is more private'\nset ylabel 'test accuracy (%)'\n"
                             "set key top left\nset grid\nset offsets graph 0.15, graph 0.15, graph 0.1, graph 0.1\n"
                             "plot {0} using 2:4 with points pt 7 ps 1.5 title 'LiRA', "
                             "{0} using 3:4 with points pt 5 ps 1.5 title 'RMIA', "
                             "{0} using 2:4:5 with labels offset 0.8,0.8 font ',8' notitle, "
                             "{0} using 3:4:5 with labels offset 0.8,-0.8 font ',8' tc rgb '#555555' notitle\n",
                             gnuplot_quote(dat.string())),
                 dir / "privacy-utility.png");
}

// What the columns beyond LiRA's and RMIA's mean, for the ones the experiment has.
std::string column_notes(const Experiment& e) {
  std::string md;
  for (const ReportColumn& c : report_columns(e)) {
    if (c.key == "base_auc")
      md += "BASE is its online variant (softmax temperature " +
            fmt::format("{:g}", e.attack.get_float("attack.base_temperature")) + "). ";
    if (c.key == "bavaria_auc") md += "BaVarIA is BaVarIA-t online (Student-t predictive). ";
    if (c.key == "qmia_auc")
      md += fmt::format("QMIA is {} on the first {} target(s) of each run (one quantile regressor each); its TPR and "
                        "FPR at α are those of its own threshold, the predicted (1 − α) quantile. ",
                        c.variant, e.attack.get_int("attack.qmia_targets") > 0
                                       ? std::to_string(e.attack.get_int("attack.qmia_targets"))
                                       : std::string("all"));
    if (c.key == "lira_eps_lb")
      md += fmt::format("ε_lb is the empirical lower bound on ε (δ = {:g}) from LiRA's ROC with {:g} % Clopper-Pearson "
                        "bounds: max over thresholds of log((TPR − δ)/FPR) and log((TNR − δ)/FNR). ",
                        e.attack.get_float("attack.epsilon_delta"), 100 * e.attack.get_float("attack.epsilon_confidence"));
    if (c.key == "dp_epsilon") md += "DP ε is the accountant's ε of the DP-SGD rows' target models (dp.accountant). ";
  }
  return md.empty() ? md : md.substr(0, md.size() - 1) + "\n";
}

}  // namespace

std::string write_report(const Experiment& e, const std::vector<RowRun>& results,
                         const std::vector<RateSelection>& selections, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const Table pretty = report_table(e, results, true);
  report_table(e, results, false).write(dir / "results");
  const std::string stat_note =
      e.runs() > 1 ? fmt::format("mean (std over {} runs) ±sd over a run's {} targets", e.runs(), e.targets())
                   : fmt::format("mean (std) over {} target model(s) of one run", e.targets());
  std::string md = fmt::format("# {}\n\n{} models per row (leave-one-out: each target attacked with the other {} as "
                               "shadows), {}. LiRA {} and RMIA {}, {} queries. Percentages (ε: nats); lower attack "
                               "numbers are better.\n\n",
                               e.name(), e.models(), e.models() - 1, stat_note,
                               e.settings.get_string("experiment.report_lira"),
                               e.settings.get_string("experiment.report_rmia"),
                               attack::resolved_queries(e.attack, e.base.get_string("model.name")).size());
  md += pretty.to_markdown();
  md += "\n" + false_positive_note(e, results) + column_notes(e);
  const Table pairs = comparison_table(e, results, true);
  if (!pairs.rows.empty()) {
    comparison_table(e, results, false).write(dir / "pairs");
    md += fmt::format(
        "\n## Does CWRF change the defense?\n\nDifference (CWRF row − defense alone), percentage points, with a 95 % "
        "paired bootstrap interval over {} (runs, then targets within runs, resampled); * = the interval excludes "
        "0.\n\n",
        e.runs() > 1 ? "runs and targets" : "targets");
    md += pairs.to_markdown() + "\n" + pair_sentences(e, results);
  }
  md += selection_markdown(e, selections);
  nlohmann::json selection = nlohmann::json::array();
  for (const RateSelection& s : selections) selection.push_back(selection_json(s, e));
  write_file_atomic(dir / "selection.json", selection.dump(2) + "\n");
  write_file_atomic(dir / "report.md", md);
  write_file_atomic(dir / "experiment.json", experiment_json(e).dump(2) + "\n");
  plot_rocs(e, results, dir);
  plot_privacy_utility(e, results, dir);
  return md;
}

}  // namespace cwrf::experiment
