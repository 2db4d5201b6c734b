#include "cwrf/experiment/paper_report.h"

#include "cwrf/common/base64.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/markdown_html.h"
#include "cwrf/common/mean_sd.h"
#include "cwrf/experiment/paper_values.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

namespace cwrf::experiment {

namespace fs = std::filesystem;

namespace {

double num(const nlohmann::json& j, const std::string& key) {
  return j.is_object() && j.contains(key) && j.at(key).is_number() ? j.at(key).get<double>() : std::nan("");
}

std::string fixed(double v, int digits = 4) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "n/a"; }
std::string percent(double v, int digits = 2) { return std::isfinite(v) ? fmt::format("{:.{}f}", v * 100, digits) : "n/a"; }

std::vector<const AnalysisOutcome*> of_kind(const std::vector<AnalysisOutcome>& analyses, const std::string& kind) {
  std::vector<const AnalysisOutcome*> out;
  for (const AnalysisOutcome& a : analyses)
    if (a.entry.kind == kind && a.result.contains("table")) out.push_back(&a);
  return out;
}

// A figure of an analysis, as markdown relative to the report folder (<out>/report).
std::string figure(const AnalysisOutcome& a, const std::string& file, const std::string& caption) {
  if (!fs::exists(a.dir / file)) return "";
  return fmt::format("![{}](../analyses/{}/{})\n", caption, a.dir.filename().string(), file);
}

std::string model_text(const nlohmann::json& model) {
  if (!model.is_object()) return "?";
  std::string text = model.value("architecture", std::string("?"));
  if (model.value("width", int64_t{0}) > 0) text += fmt::format(" width {}", model.value("width", int64_t{0}));
  if (model.contains("weights")) text += fmt::format(", {} weights", model.value("weights", int64_t{0}));
  if (model.contains("test_acc")) text += fmt::format(", test accuracy {} %", percent(num(model, "test_acc")));
  return text;
}

const nlohmann::json* table_row(const nlohmann::json& result, const std::string& column, const nlohmann::json& value) {
  for (const auto& row : result.at("table"))
    if (row.contains(column) && row.at(column) == value) return &row;
  return nullptr;
}

Interval replicate_interval(double estimate, const std::vector<double>& replicates) {
  return {estimate, percentile(replicates, 0.025), percentile(replicates, 0.975)};
}

// ---- Evidence ----

std::string main_kind(const nlohmann::json& result) {
  return table_row(result, "weight_type", "conv") != nullptr ? "conv" : "attention+mlp";
}

std::vector<ConcentrationEvidence> concentration_evidence(const std::vector<AnalysisOutcome>& analyses) {
  std::vector<ConcentrationEvidence> out;
  for (const AnalysisOutcome* a : of_kind(analyses, "correlation")) {
    const nlohmann::json& c = a->result.at("concentration");
    const auto& iv = c.at("pve_mass_top_5pct_interval");
    out.push_back({fmt::format("{} ({})", a->entry.name, a->result.at("model").value("architecture", "")),
                   {num(c, "pve_mass_top_5pct"), iv.at(0).get<double>(), iv.at(1).get<double>()}});
  }
  return out;
}

std::vector<EntanglementEvidence> entanglement_evidence(const std::vector<AnalysisOutcome>& analyses) {
  std::vector<EntanglementEvidence> out;
  for (const AnalysisOutcome* a : of_kind(analyses, "correlation")) {
    EntanglementEvidence e;
    e.model = fmt::format("{} ({})", a->entry.name, a->result.at("model").value("architecture", ""));
    const auto& reps = a->result.at("pcc_replicates");
    auto replicates = [&](const std::string& kind) {
      return reps.contains(kind) ? reps.at(kind).get<std::vector<double>>() : std::vector<double>{};
    };
    const nlohmann::json* all = table_row(a->result, "weight_type", "all");
    e.pcc_all = replicate_interval(all ? num(*all, "pcc") : std::nan(""), replicates("all"));
    e.main_kind = main_kind(a->result);
    const nlohmann::json* main = table_row(a->result, "weight_type", e.main_kind);
    const nlohmann::json* norm = table_row(a->result, "weight_type", "norm");
    e.has_norm = main != nullptr && norm != nullptr;
    if (e.has_norm) {
      const auto m = replicates(e.main_kind), n = replicates("norm");
      std::vector<double> diff;
      for (size_t i = 0; i < std::min(m.size(), n.size()); ++i) diff.push_back(m[i] - n[i]);
      e.main_minus_norm = replicate_interval(num(*main, "pcc") - num(*norm, "pcc"), diff);
    }
    out.push_back(e);
  }
  return out;
}

double test_acc_of(const nlohmann::json& result, const std::string& approach, double rate) {
  for (const auto& row : result.at("table"))
    if (row.value("approach", "") == approach &&
        (rate < 0 ? row.at("rate").is_null() : row.at("rate").is_number() && row.at("rate").get<double>() == rate))
      return num(row, "test_acc");
  return std::nan("");
}

LocationEvidence location_evidence(const std::vector<AnalysisOutcome>& analyses) {
  LocationEvidence e;
  for (const AnalysisOutcome* a : of_kind(analyses, "ablation")) {
    e.has_ablation = true;
    const int64_t n = a->result.value("test_size", int64_t{0});
    std::set<double> rates;
    for (const auto& row : a->result.at("table"))
      if (row.at("rate").is_number()) rates.insert(row.at("rate").get<double>());
    const double scratch = test_acc_of(a->result, "scratch", -1);
    for (double r : rates) {
      const double a1 = test_acc_of(a->result, "A1", r), a2 = test_acc_of(a->result, "A2", r),
                   a3 = test_acc_of(a->result, "A3", r);
      if (r >= 0.01 - 1e-12) e.removal_cost.push_back({r, accuracy_difference(std::max(a2, a3), n, a1, n)});
      if (r <= 0.05 + 1e-12 && std::isfinite(scratch)) e.a3_vs_scratch.push_back({r, accuracy_difference(a3, n, scratch, n)});
    }
  }
  for (const AnalysisOutcome* a : of_kind(analyses, "lottery")) {
    e.has_lottery = true;
    const int64_t n = a->result.value("test_size", int64_t{0});
    auto acc = [&](const char* m) {
      const nlohmann::json* row = table_row(a->result, "model", m);
      return row ? num(*row, "test_acc") : std::nan("");
    };
    e.m2_minus_m1 = accuracy_difference(acc("M2"), n, acc("M1"), n);
    e.m2_minus_m3 = accuracy_difference(acc("M2"), n, acc("M3"), n);
  }
  return e;
}

std::vector<DefensePairEvidence> defense_evidence(const Experiment& e, const std::vector<RowRun>& rows) {
  std::vector<DefensePairEvidence> out;
  if (e.rows.empty()) return out;
  const Table raw = comparison_table(e, rows, false);
  auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(raw.columns.begin(), raw.columns.end(), name) - raw.columns.begin());
  };
  auto interval = [&](const std::vector<nlohmann::json>& row, const std::string& key) {
    auto value = [&](const std::string& part) {
      const size_t c = column(key + part);
      return c < row.size() && row[c].is_number() ? row[c].get<double>() : std::nan("");
    };
    return Interval{value("_diff"), value("_low"), value("_high")};
  };
  for (const auto& row : raw.rows)
    out.push_back({row[0].get<std::string>(), row[1].get<std::string>(), interval(row, "test_acc"),
                   interval(row, "lira_auc"), interval(row, "rmia_auc")});
  return out;
}

// ---- Sections ----

std::string table1_section(const std::vector<AnalysisOutcome>& analyses) {
  std::string md = "## Table 1 and Fig. 3: privacy vulnerability vs learnability, per weight type\n\n";
  const auto found = of_kind(analyses, "correlation");
  if (found.empty()) return md + "Not run (add an `[[analysis]] kind = \"correlation\"`).\n\n";
  md += fmt::format("Paper ({}): {}.\n\n", paper::statement("fig3").where, paper::statement("fig3").text);
  for (const AnalysisOutcome* a : found) {
    const std::string arch = a->result.at("model").value("architecture", "");
    md += fmt::format("### {}: {}\n\nPCC = Pearson's r of PVE and TFO scores over the weights of a type (95 % "
                      "bootstrap interval over the weights); share = the type's fraction of the weights.\n\n"
                      "| weight type | PCC (ours) | PCC (paper) | share (ours) | share (paper) | PCC of log scores (ours) |\n"
                      "|---|---:|---:|---:|---:|---:|\n",
                      a->entry.name, model_text(a->result.at("model")));
    for (const auto& row : a->result.at("table")) {
      const std::string type = row.value("weight_type", "");
      std::string pcc_paper = "", share_paper = "";
      for (const auto& p : paper::table1())
        if (p.architecture == arch && p.weight_type == type) {
          pcc_paper = fixed(p.pcc);
          share_paper = percent(p.share) + " %";
        }
      md += fmt::format("| {} | {} [{}, {}] | {} | {} % | {} | {} |\n", type, fixed(num(row, "pcc")),
                        fixed(num(row, "pcc_low"), 3), fixed(num(row, "pcc_high"), 3), pcc_paper, percent(num(row, "share")),
                        share_paper, fixed(num(row, "pcc_log")));
    }
    const nlohmann::json& c = a->result.at("concentration");
    md += fmt::format("\nHow concentrated PVE is: the top 1 / 5 / 10 % of weights hold {} / {} / {} % of all PVE score "
                      "(uniform: 1 / 5 / 10 %); TFO's top 10 % hold {} %. The top 5 % by PVE and by TFO overlap by {} % "
                      "(Jaccard; independent choices: {} %).\n\n",
                      percent(num(c, "pve_mass_top_1pct"), 1), percent(num(c, "pve_mass_top_5pct"), 1),
                      percent(num(c, "pve_mass_top_10pct"), 1), percent(num(c, "tfo_mass_top_10pct"), 1),
                      percent(num(c, "top_5pct_overlap_pve_tfo"), 1), percent(num(c, "top_5pct_overlap_if_independent"), 1));
    for (const auto& row : a->result.at("table")) {
      std::string stem = row.value("weight_type", "");
      std::replace(stem.begin(), stem.end(), '+', '_');
      md += figure(*a, "scatter-" + stem + ".png", fmt::format("{} {}", a->entry.name, row.value("weight_type", "")));
    }
    md += "\n";
  }
  return md;
}

// The highest sparsity whose test accuracy keeps 90 % of the unpruned one's.
double kept_sparsity(const nlohmann::json& table) {
  double base = std::nan(""), best = 0.0;
  for (const auto& row : table)
    if (num(row, "sparsity") == 0.0) base = num(row, "test_acc");
  for (const auto& row : table)
    if (std::isfinite(base) && num(row, "test_acc") >= 0.9 * base) best = std::max(best, num(row, "sparsity"));
  return best;
}

// The pruning analyses' factors: what a reader may vary between two [[analysis]] kind = "pruning".
struct PruningFactors {
  std::string model, scope, criterion, norm;
};

PruningFactors pruning_factors(const nlohmann::json& result) {
  const auto& m = result.at("model");
  return {fmt::format("{} width {}", m.value("architecture", ""), m.value("width", 0)) +
              (m.value("dir", "").empty() ? "" : " (" + fs::path(m.value("dir", "")).filename().string() + ")"),
          result.value("scope", ""), result.value("criterion", "tfo"),
          result.value("recalibrate_norm", false) ? "BN re-estimated" : "BN as trained"};
}

// One line per pair of pruning analyses that differ in exactly one factor: that factor's effect,
// measured in this run (kept-to sparsity, and the common sparsity where the accuracies differ most).
std::string one_factor_effects(const std::vector<const AnalysisOutcome*>& found) {
  std::string md;
  for (size_t i = 0; i < found.size(); ++i)
    for (size_t j = i + 1; j < found.size(); ++j) {
      const PruningFactors a = pruning_factors(found[i]->result), b = pruning_factors(found[j]->result);
      const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> factors = {
          {"model", {a.model, b.model}}, {"scope", {a.scope, b.scope}},
          {"criterion", {a.criterion, b.criterion}}, {"BatchNorm statistics", {a.norm, b.norm}}};
      int differing = 0;
      std::string what;
      for (const auto& [name, values] : factors)
        if (values.first != values.second) {
          ++differing;
          what = fmt::format("{}: {} → {}", name, values.first, values.second);
        }
      if (differing != 1) continue;
      std::map<double, double> accuracy_a;
      for (const auto& row : found[i]->result.at("table")) accuracy_a[num(row, "sparsity")] = num(row, "test_acc");
      double widest = std::nan(""), gap = 0.0, acc_a = 0.0, acc_b = 0.0;
      for (const auto& row : found[j]->result.at("table")) {
        const auto it = accuracy_a.find(num(row, "sparsity"));
        if (it == accuracy_a.end() || std::abs(num(row, "test_acc") - it->second) <= std::abs(gap)) continue;
        widest = it->first;
        gap = num(row, "test_acc") - it->second;
        acc_a = it->second;
        acc_b = num(row, "test_acc");
      }
      md += fmt::format("- {} ({} → {}): kept to {:g} % → {:g} %", what, found[i]->entry.name, found[j]->entry.name,
                        kept_sparsity(found[i]->result.at("table")) * 100, kept_sparsity(found[j]->result.at("table")) * 100);
      if (std::isfinite(widest))
        md += fmt::format("; the largest difference, at {:g} % sparsity: {} → {} % test accuracy", widest * 100,
                          percent(acc_a, 1), percent(acc_b, 1));
      md += "\n";
    }
  return md.empty() ? md : "One factor at a time (pairs of analyses above that differ in exactly one):\n\n" + md + "\n";
}

std::string pruning_section(const std::vector<AnalysisOutcome>& analyses) {
  std::string md = "## Fig. 1: one-shot pruning of the least important weights\n\n";
  const auto found = of_kind(analyses, "pruning");
  if (found.empty()) return md + "Not run (add an `[[analysis]] kind = \"pruning\"`).\n\n";
  md += fmt::format("Paper ({}): {}.\n\n", paper::statement("fig1").where, paper::statement("fig1").text);
  md += "What decides how far a model can be pruned, measured in this run: each line is one pruning analysis (its "
        "model, which tensors may be pruned, the criterion, whether BatchNorm statistics are re-estimated after "
        "pruning); \"kept to\" is the highest sparsity whose test accuracy is at least 90 % of the unpruned model's.\n\n"
        "| analysis | model | scope | criterion | BN re-estimated | unpruned acc. | kept to | acc. at each sparsity |\n"
        "|---|---|---|---|---|---:|---:|---|\n";
  for (const AnalysisOutcome* a : found) {
    std::string accs;
    double base = std::nan("");
    for (const auto& row : a->result.at("table")) {
      if (num(row, "sparsity") == 0.0) base = num(row, "test_acc");
      accs += fmt::format("{}{:g} %: {}", accs.empty() ? "" : ", ", num(row, "sparsity") * 100, percent(num(row, "test_acc"), 1));
    }
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {:g} % | {} |\n", a->entry.name, model_text(a->result.at("model")),
                      a->result.value("scope", ""), a->result.value("criterion", "tfo"),
                      a->result.value("recalibrate_norm", false) ? "yes" : "no", percent(base), kept_sparsity(a->result.at("table")) * 100,
                      accs);
  }
  md += "\n" + one_factor_effects(found);
  for (const AnalysisOutcome* a : found) {
    md += fmt::format("### {}\n\n| sparsity | test acc. (%) | train CE | test CE | test − train CE |\n|---:|---:|---:|---:|---:|\n",
                      a->entry.name);
    for (const auto& row : a->result.at("table"))
      md += fmt::format("| {:g} % | {} | {} | {} | {} |\n", num(row, "sparsity") * 100, percent(num(row, "test_acc")),
                        fixed(num(row, "train_loss")), fixed(num(row, "test_loss")), fixed(num(row, "loss_gap")));
    md += "\n" + figure(*a, "pruning.png", a->entry.name) + "\n";
  }
  return md;
}

std::string lottery_section(const std::vector<AnalysisOutcome>& analyses) {
  std::string md = "## Fig. 4: M1 / M2 / M3\n\n";
  const auto found = of_kind(analyses, "lottery");
  if (found.empty()) return md + "Not run (add an `[[analysis]] kind = \"lottery\"`).\n\n";
  md += fmt::format("Paper ({}): {}.\n\n", paper::statement("fig4").where, paper::statement("fig4").text);
  for (const AnalysisOutcome* a : found) {
    md += fmt::format("{} ({}, {:g} % pruned, scope {}):\n\n| model | what | test acc. (%) | test CE | train acc. (%) | "
                      "train CE |\n|---|---|---:|---:|---:|---:|\n",
                      a->entry.name, model_text(a->result.at("model")), num(a->result, "sparsity") * 100,
                      a->result.value("scope", ""));
    for (const auto& row : a->result.at("table"))
      md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", row.value("model", ""), row.value("description", ""),
                        percent(num(row, "test_acc")), fixed(num(row, "test_loss")), percent(num(row, "train_acc")),
                        fixed(num(row, "train_loss")));
    md += "\n" + figure(*a, "lottery.png", a->entry.name) + "\n";
  }
  return md;
}

std::string ablation_section(const std::vector<AnalysisOutcome>& analyses) {
  std::string md = "## Fig. 5 and Table 2: remove (A1) / rewind-only (A2) / CWRF (A3)\n\n";
  const auto found = of_kind(analyses, "ablation");
  if (found.empty()) return md + "Not run (add an `[[analysis]] kind = \"ablation\"`).\n\n";
  md += fmt::format("Paper ({}): {}. ({}): {}.\n\n", paper::statement("fig5").where, paper::statement("fig5").text,
                    paper::statement("table2").where, paper::statement("table2").text);
  for (const AnalysisOutcome* a : found) {
    std::set<double> rates;
    for (const auto& row : a->result.at("table"))
      if (row.at("rate").is_number()) rates.insert(row.at("rate").get<double>());
    auto value = [&](const std::string& approach, double rate, const char* key) {
      for (const auto& row : a->result.at("table"))
        if (row.value("approach", "") == approach &&
            (rate < 0 ? row.at("rate").is_null() : row.at("rate").is_number() && row.at("rate").get<double>() == rate))
          return num(row, key);
      return std::nan("");
    };
    md += fmt::format("{} ({}; fine-tuned with {}):\n\nTest accuracy (%) after fine-tuning; the defense trained from "
                      "scratch: {} %.\n\n| approach |",
                      a->entry.name, model_text(a->result.at("model")), a->result.value("defense", ""),
                      percent(value("scratch", -1, "test_acc")));
    for (double r : rates) md += fmt::format(" r = {:g} % |", r * 100);
    md += "\n|---|";
    for (size_t i = 0; i < rates.size(); ++i) md += "---:|";
    md += "\n";
    for (const char* approach : {"A1", "A2", "A3"}) {
      md += fmt::format("| {} |", approach);
      for (double r : rates) md += fmt::format(" {} |", percent(value(approach, r, "test_acc")));
      md += "\n";
    }
    md += "\nTable 2, cross-entropy: ours (paper, ResNet18 on CIFAR-100 with RelaxLoss).\n\n| |";
    for (double r : rates) md += fmt::format(" r = {:g} % |", r * 100);
    md += "\n|---|";
    for (size_t i = 0; i < rates.size(); ++i) md += "---:|";
    md += "\n";
    for (const auto& [approach, split] : std::vector<std::pair<std::string, std::string>>{
             {"A2", "train"}, {"A2", "test"}, {"A3", "train"}, {"A3", "test"}}) {
      md += fmt::format("| {} − {} |", approach, split);
      for (double r : rates) {
        std::string published;
        for (const auto& p : paper::table2())
          if (p.approach == approach && p.split == split && std::abs(p.rate - r) < 1e-12) published = fixed(p.cross_entropy);
        md += fmt::format(" {}{} |", fixed(value(approach, r, split == "train" ? "train_ce" : "test_ce")),
                          published.empty() ? "" : " (" + published + ")");
      }
      md += "\n";
    }
    for (const char* split : {"train", "test"}) {
      std::string published;
      for (const auto& p : paper::table2())
        if (p.approach == "scratch" && p.split == split) published = fixed(p.cross_entropy);
      md += fmt::format("| from scratch − {} | {} ({}) |", split,
                        fixed(value("scratch", -1, std::string(split) == "train" ? "train_ce" : "test_ce")), published);
      for (size_t i = 1; i < rates.size(); ++i) md += " |";
      md += "\n";
    }
    md += "\n" + figure(*a, "ablation.png", a->entry.name) + "\n";
  }
  return md;
}

std::string rewinding_section(const std::vector<AnalysisOutcome>& analyses) {
  std::string md = "## Sec. 4.3: accuracy right after rewinding\n\n";
  const auto found = of_kind(analyses, "rewinding");
  if (found.empty()) return md + "Not run (add an `[[analysis]] kind = \"rewinding\"`).\n\n";
  md += fmt::format("Paper ({}): {}.\n\n", paper::statement("sec4.3").where, paper::statement("sec4.3").text);
  for (const AnalysisOutcome* a : found) {
    md += fmt::format("{} ({}):\n\n| r | test acc. right after rewinding (%) | train acc. (%) | before (%) | chance (%) |\n"
                      "|---:|---:|---:|---:|---:|\n",
                      a->entry.name, model_text(a->result.at("model")));
    for (const auto& row : a->result.at("table"))
      md += fmt::format("| {:g} % | {} | {} | {} | {} |\n", num(row, "rate") * 100, percent(num(row, "rewound_test_acc")),
                        percent(num(row, "rewound_train_acc")), percent(num(row, "test_acc_before")),
                        percent(num(row, "chance")));
    md += "\n";
  }
  return md;
}

std::string table3_section(const Experiment& e, const std::vector<RowRun>& rows) {
  std::string md = "## Table 3 and Fig. 9: defenses with and without CWRF\n\n";
  if (e.rows.empty()) return md + "Not run (add [[row]] tables).\n\n";
  const std::string arch = e.base.get_string("model.name");
  md += fmt::format("Ours: {} on {} (the full table with spreads and the paired intervals: [report.md](report.md)). "
                    "Paper: CIFAR-10, {} (mean over three runs); blank where the paper has no such row.\n\n",
                    arch, e.base.get_string("data.name"), arch);
  const Table raw = report_table(e, rows, false);
  const std::vector<std::pair<std::string, std::string>> columns = {{"test_acc", "Test acc."},
                                                                    {"lira_auc", "LiRA AUC"},
                                                                    {"lira_tpr_0.001", "LiRA TPR@0.1%"},
                                                                    {"rmia_auc", "RMIA AUC"},
                                                                    {"rmia_tpr_0.001", "RMIA TPR@0.1%"}};
  md += "| row |";
  for (const auto& [key, label] : columns) md += fmt::format(" {} ours | paper |", label);
  md += "\n|---|";
  for (size_t i = 0; i < columns.size(); ++i) md += "---:|---:|";
  md += "\n";
  for (size_t r = 0; r < e.rows.size(); ++r) {
    const Row& row = e.rows[r];
    const std::string defense =
        row.overrides.contains("defense.name") ? row.overrides.at("defense.name").get<std::string>() : e.base.get_string("defense.name");
    const auto published = paper::table3_row(arch, defense, row.cwrf);
    md += fmt::format("| {} |", row.name);
    for (const auto& [key, label] : columns) {
      const size_t c = static_cast<size_t>(std::find(raw.columns.begin(), raw.columns.end(), key + "_mean") - raw.columns.begin());
      const double ours = c < raw.rows[r].size() && raw.rows[r][c].is_number() ? raw.rows[r][c].get<double>() : std::nan("");
      std::string theirs;
      if (published)
        for (const auto& [k, v] : published->values)
          if (k == key) theirs = percent(v.first);
      md += fmt::format(" {} | {} |", percent(ours), theirs);
    }
    md += "\n";
  }
  md += "\n![privacy-utility (Fig. 9)](privacy-utility.png)\n\n";
  return md;
}

std::string verdicts_markdown(const std::vector<Verdict>& verdicts) {
  std::string md;
  for (const Verdict& v : verdicts) md += "- " + v.line() + "\n";
  return md;
}

std::string inline_image(const fs::path& report_dir, const std::string& src) {
  const fs::path file = report_dir / src;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return src;
  return "data:image/png;base64," + base64_encode(read_file(file));
}

}  // namespace

std::vector<Verdict> paper_verdicts(const Experiment& e, const std::vector<RowRun>& rows,
                                    const std::vector<AnalysisOutcome>& analyses) {
  return {judge_concentration(concentration_evidence(analyses)), judge_entanglement(entanglement_evidence(analyses)),
          judge_location(location_evidence(analyses)),
          judge_defense(defense_evidence(e, rows), e.settings.get_float("experiment.rate_tolerance"))};
}

std::string write_paper_report(const Experiment& e, const std::vector<RowRun>& rows,
                               const std::vector<AnalysisOutcome>& analyses, const fs::path& dir) {
  fs::create_directories(dir);
  const std::vector<Verdict> verdicts = paper_verdicts(e, rows, analyses);
  std::string md = fmt::format("# {}: the paper, claim by claim\n\n", e.name());
  md += fmt::format("{} on {} ({} training images per model, {} epochs); every number below was measured in this run "
                    "(`cwrf run {}`), the paper's published values beside it. The paper works at full scale (ResNet18 "
                    "and ViT on CIFAR-10/100, 100 epochs); read the differences with the scale in mind.\n\n",
                    e.base.get_string("model.name"), e.base.get_string("data.name"), e.base.get_int("data.train_size"),
                    e.base.get_int("epochs"), e.source.filename().string());
  md += "## Verdicts\n\n" + verdicts_markdown(verdicts) + "\n";
  md += "How each is judged (the rules are in the code, `experiment/verdicts.h`, and tested):\n\n";
  for (const Verdict& v : verdicts) md += fmt::format("- ({}) {}.\n", v.claim, v.rule);
  md += "\n";
  md += table1_section(analyses) + pruning_section(analyses) + lottery_section(analyses) + ablation_section(analyses) +
        rewinding_section(analyses) + table3_section(e, rows);
  nlohmann::json verdict_json = nlohmann::json::array();
  for (const Verdict& v : verdicts) verdict_json.push_back(v.to_json());
  write_file_atomic(dir / "verdicts.json", verdict_json.dump(2) + "\n");
  write_file_atomic(dir / "paper.md", md);
  write_file_atomic(dir / "paper.html", markdown_to_html(md, e.name() + ": the paper, claim by claim",
                                                        [&](const std::string& src) { return inline_image(dir, src); }));
  return "## Verdicts\n\n" + verdicts_markdown(verdicts);
}

}  // namespace cwrf::experiment
