#include "cwrf/attack/runner.h"

#include "cwrf/attack/family.h"
#include "cwrf/attack/plot.h"
#include "cwrf/attack/protocol.h"
#include "cwrf/attack/settings.h"
#include "cwrf/attack/statistics.h"
#include "cwrf/attack/vulnerable.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/mean_sd.h"
#include "cwrf/common/npy.h"
#include "cwrf/data/png.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <sstream>

namespace cwrf::attack {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string level_key(double level) { return fmt::format("{:g}", level); }

std::vector<int64_t> settings_targets(const MembershipMask& membership, const config::Config& settings) {
  const int64_t M = membership.models, wanted = settings.get_int("attack.targets");
  require(wanted <= M, fmt::format("{} must be at most the {} models given (0 = every model), got {}",
                                   settings.label("attack.targets"), M, wanted));
  std::vector<int64_t> targets;
  for (int64_t t = 0; t < (wanted == 0 ? M : wanted); ++t) targets.push_back(t);
  return targets;
}

nlohmann::json metrics_json(const RocMetrics& m) {
  nlohmann::json j = {{"auc", m.auc}, {"balanced_accuracy", m.balanced_accuracy}, {"members", m.members},
                      {"non_members", m.non_members}};
  nlohmann::json tpr = nlohmann::json::object(), ci = nlohmann::json::object();
  for (size_t l = 0; l < m.fpr_levels.size(); ++l) {
    tpr[level_key(m.fpr_levels[l])] = m.tpr[l];
    if (l < m.tpr_interval.size())
      ci[level_key(m.fpr_levels[l])] = {m.tpr_interval[l].low, m.tpr_interval[l].high};
  }
  j["tpr_at_fpr"] = tpr;
  if (!m.tpr_interval.empty()) j["tpr_at_fpr_interval"] = ci;
  return j;
}

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json epsilon_json(const EmpiricalEpsilon& e) {
  const EpsilonWitness& w = e.lower_bound;
  return {{"lower_bound", w.epsilon},
          {"point", finite_or_null(e.point.epsilon)},
          {"delta", e.delta},
          {"confidence", e.confidence},
          {"threshold", finite_or_null(w.threshold)},
          {"true_positives", w.true_positives},
          {"false_positives", w.false_positives},
          {"complement", w.complement}};
}

// How many of the run's targets a family attacks.
size_t family_targets(const AttackFamily& family, const config::Config& settings, size_t targets) {
  if (!family.target_limit) return targets;
  const int64_t limit = family.target_limit(settings);
  return limit > 0 ? std::min(targets, static_cast<size_t>(limit)) : targets;
}

// Lossless thinning of a ROC curve for CSV: interior points of straight segments are dropped.
std::vector<size_t> corner_points(const RocCurve& roc) {
  std::vector<size_t> keep;
  for (size_t i = 0; i < roc.size(); ++i) {
    if (i == 0 || i + 1 == roc.size()) {
      keep.push_back(i);
      continue;
    }
    const int64_t ax = roc.false_positives[i] - roc.false_positives[i - 1],
                  ay = roc.true_positives[i] - roc.true_positives[i - 1];
    const int64_t bx = roc.false_positives[i + 1] - roc.false_positives[i],
                  by = roc.true_positives[i + 1] - roc.true_positives[i];
    if (ax * by - ay * bx != 0) keep.push_back(i);
  }
  return keep;
}

std::string csv_number(double v) { return fmt::format("{:.10g}", v); }

}  // namespace

void check_feasible(const MembershipMask& membership, const config::Config& settings) {
  std::vector<ShadowSplit> splits;
  for (int64_t t : settings_targets(membership, settings)) splits.push_back(split_shadows(membership, t));
  // A family is feasible when one of its variants has enough shadows for every target.
  for (const std::string& name : settings.get_strings("attack.attacks")) {
    const AttackFamily& family = find_family(name);
    std::string first_reason;
    bool feasible = false;
    const size_t attacked = family_targets(family, settings, splits.size());
    for (const Variant& v : family.variants(settings)) {
      std::string reason;
      for (size_t i = 0; i < attacked; ++i)
        if (reason.empty()) reason = family.shortfall(settings, v, splits[i]);
      if (reason.empty()) {
        feasible = true;
        break;
      }
      if (first_reason.empty()) first_reason = reason;
    }
    if (!feasible) throw Error(fmt::format("too few models for {}: {}", family.description, first_reason));
  }
}

AttackRun run_attacks(const torch::Tensor& logits, const torch::Tensor& labels, const MembershipMask& membership,
                      const config::Config& settings, const std::function<void(const std::string&)>& log,
                      ModelAccess* models) {
  const auto started = Clock::now();
  require(logits.dim() == 4 && logits.size(0) == membership.models && logits.size(1) == membership.examples,
          fmt::format("run_attacks: logits must be [models = {}, examples = {}, queries, classes]", membership.models,
                      membership.examples));
  check_attack_settings(settings);
  check_feasible(membership, settings);
  AttackRun run;
  run.examples = membership.examples;
  run.targets = settings_targets(membership, settings);
  std::vector<ShadowSplit> splits;
  for (int64_t t : run.targets) {
    run.membership.push_back(target_membership(membership, t));
    splits.push_back(split_shadows(membership, t));
  }

  const Statistics stats = compute_statistics(logits, labels);
  const torch::Tensor labels_long = labels.to(torch::kLong).contiguous();
  AttackInputs inputs;
  inputs.logits = &logits;
  inputs.labels = &labels_long;
  inputs.membership = &membership;
  inputs.stats = &stats;
  inputs.label_list.assign(labels_long.data_ptr<int64_t>(), labels_long.data_ptr<int64_t>() + membership.examples);
  inputs.classes = logits.size(3);
  inputs.seed = static_cast<uint64_t>(settings.get_int("attack.seed"));
  inputs.models = models;
  const RocOptions roc = roc_options(settings);
  EmpiricalEpsilonOptions eo;
  eo.confidence = settings.get_float("attack.epsilon_confidence");
  eo.delta = settings.get_float("attack.epsilon_delta");
  ClopperPearsonTable bounds(per_side_level(eo.confidence));  // shared by every target and variant

  for (const AttackFamily& family : attack_families()) {
    const auto selected = settings.get_strings("attack.attacks");
    if (std::find(selected.begin(), selected.end(), family.name) == selected.end()) continue;
    require(!family.needs_models || models != nullptr,
            fmt::format("attack '{}' needs the model directories and their data, not only their logits (run it with "
                        "cwrf attack or in an experiment)", family.name));
    const size_t attacked = family_targets(family, settings, splits.size());
    const TargetScorer score = family.prepare(settings, inputs);
    for (const Variant& variant : family.variants(settings)) {
      VariantResult v;
      v.attack = family.name;
      v.variant = variant.name;
      v.name = family.name + "-" + variant.name;
      v.options = variant.options;
      const auto variant_started = Clock::now();
      for (size_t i = 0; i < attacked; ++i)
        if (v.skipped.empty()) v.skipped = family.shortfall(settings, variant, splits[i]);
      for (size_t i = 0; i < attacked && v.skipped.empty(); ++i) {
        TargetResult r;
        r.target = run.targets[i];
        TargetScores scored = score(variant, splits[i]);
        r.scores = std::move(scored.scores);
        r.threshold_accuracy = scored.threshold_accuracy;
        r.details = std::move(scored.details);
        RocOptions o = roc;
        o.seed = per_target_seed(inputs.seed, std::hash<std::string>{}(v.name), r.target);  // the bootstrap's draws
        r.metrics = evaluate_roc(r.scores, run.membership[i], o);
        r.epsilon = empirical_epsilon(roc_curve(r.scores, run.membership[i]), eo, bounds);
        v.targets.push_back(std::move(r));
      }
      v.seconds = seconds_since(variant_started);
      if (log) {
        if (!v.skipped.empty()) log(fmt::format("{}: skipped: {}", v.name, v.skipped));
        else log(fmt::format("{}: {} targets in {:.2f}s", v.name, v.targets.size(), v.seconds));
      }
      run.variants.push_back(std::move(v));
    }
  }
  run.seconds = seconds_since(started);
  return run;
}

nlohmann::json variant_json(const VariantResult& v, const std::vector<std::string>& target_names) {
  nlohmann::json j = {{"name", v.name}, {"attack", v.attack}, {"variant", v.variant}, {"options", v.options}};
  if (!v.skipped.empty()) {
    j["skipped"] = v.skipped;
    return j;
  }
  j["seconds"] = v.seconds;
  std::vector<double> auc, bal, thr_acc, eps_lb;
  std::vector<std::vector<double>> tpr;
  nlohmann::json per = nlohmann::json::array();
  for (const TargetResult& r : v.targets) {
    auc.push_back(r.metrics.auc);
    bal.push_back(r.metrics.balanced_accuracy);
    eps_lb.push_back(r.epsilon.lower_bound.epsilon);
    tpr.resize(r.metrics.tpr.size());
    for (size_t l = 0; l < r.metrics.tpr.size(); ++l) tpr[l].push_back(r.metrics.tpr[l]);
    nlohmann::json t = metrics_json(r.metrics);
    t["target"] = r.target;
    if (static_cast<size_t>(r.target) < target_names.size()) t["model"] = target_names[static_cast<size_t>(r.target)];
    if (r.threshold_accuracy >= 0) {
      t["threshold_accuracy"] = r.threshold_accuracy;
      thr_acc.push_back(r.threshold_accuracy);
    }
    t["empirical_epsilon"] = epsilon_json(r.epsilon);
    for (const auto& [key, value] : r.details.items()) t[key] = value;
    per.push_back(t);
  }
  auto both = [&](const std::vector<double>& values, nlohmann::json& mean, nlohmann::json& sd, const std::string& key) {
    const MeanSd s = mean_sd(values);
    mean[key] = s.mean;
    sd[key] = s.sd;
  };
  nlohmann::json mean = nlohmann::json::object(), sd = nlohmann::json::object();
  both(auc, mean, sd, "auc");
  both(bal, mean, sd, "balanced_accuracy");
  if (!thr_acc.empty()) both(thr_acc, mean, sd, "threshold_accuracy");
  both(eps_lb, mean, sd, "epsilon_lower_bound");
  mean["tpr_at_fpr"] = nlohmann::json::object();
  sd["tpr_at_fpr"] = nlohmann::json::object();
  if (!v.targets.empty())
    for (size_t l = 0; l < tpr.size(); ++l) {
      const MeanSd s = mean_sd(tpr[l]);
      mean["tpr_at_fpr"][level_key(v.targets.front().metrics.fpr_levels[l])] = s.mean;
      sd["tpr_at_fpr"][level_key(v.targets.front().metrics.fpr_levels[l])] = s.sd;
    }
  j["targets"] = v.targets.size();
  j["mean"] = mean;
  j["sd"] = sd;
  j["per_target"] = per;
  return j;
}

std::vector<std::string> write_attack_outputs(const AttackRun& run, const config::Config& settings, const fs::path& out,
                                              const OutputContext& context) {
  std::vector<std::string> warnings;
  const int64_t T = static_cast<int64_t>(run.targets.size()), N = run.examples;
  fs::create_directories(out);

  // Membership and scores as .npy: [targets, examples].
  torch::Tensor membership = torch::zeros({T, N}, torch::kBool);
  for (int64_t i = 0; i < T; ++i)
    for (int64_t n = 0; n < N; ++n) membership[i][n] = run.membership[static_cast<size_t>(i)][static_cast<size_t>(n)] != 0;
  save_npy(out / "membership.npy", membership);
  save_npy(out / "targets.npy", torch::tensor(run.targets, torch::kLong));
  std::vector<const VariantResult*> done;
  for (const VariantResult& v : run.variants)
    if (v.skipped.empty()) done.push_back(&v);
  for (const VariantResult* v : done) {
    torch::Tensor scores = torch::full({T, N}, std::nan(""), torch::kFloat64);  // NaN: a target it did not attack
    for (size_t i = 0; i < v->targets.size(); ++i)
      std::copy(v->targets[i].scores.begin(), v->targets[i].scores.end(),
                scores[static_cast<int64_t>(i)].data_ptr<double>());
    save_npy(out / "scores" / (v->name + ".npy"), scores);
  }

  // scores.csv: one row per (target, example).
  {
    std::ostringstream csv;
    csv << "target,model,example,pool_index,label,member";
    for (const VariantResult* v : done) csv << "," << v->name;
    csv << "\n";
    const torch::Tensor pool = context.pool.defined() ? context.pool.to(torch::kLong).contiguous() : torch::Tensor();
    const torch::Tensor labels = context.labels.defined() ? context.labels.to(torch::kLong).contiguous() : torch::Tensor();
    for (int64_t i = 0; i < T; ++i) {
      const int64_t t = run.targets[static_cast<size_t>(i)];
      const std::string model =
          static_cast<size_t>(t) < context.model_paths.size() ? context.model_paths[static_cast<size_t>(t)] : "";
      for (int64_t n = 0; n < N; ++n) {
        csv << t << "," << model << "," << n << "," << (pool.defined() ? pool.data_ptr<int64_t>()[n] : n) << ","
            << (labels.defined() ? labels.data_ptr<int64_t>()[n] : -1) << ","
            << int(run.membership[static_cast<size_t>(i)][static_cast<size_t>(n)]);
        for (const VariantResult* v : done) {
          csv << ",";
          if (static_cast<size_t>(i) < v->targets.size())
            csv << csv_number(v->targets[static_cast<size_t>(i)].scores[static_cast<size_t>(n)]);
        }
        csv << "\n";
      }
    }
    write_file_atomic(out / "scores.csv", csv.str());
  }

  // ROC curves: CSV per variant, and the first target's curves on log-log axes.
  std::vector<PlotCurve> curves;
  for (const VariantResult* v : done) {
    std::ostringstream csv;
    csv << "target,threshold,fpr,tpr\n";
    for (size_t i = 0; i < v->targets.size(); ++i) {
      const RocCurve roc = roc_curve(v->targets[i].scores, run.membership[i]);
      for (size_t p : corner_points(roc))
        csv << v->targets[i].target << "," << csv_number(roc.threshold[p]) << "," << csv_number(roc.fpr(p)) << ","
            << csv_number(roc.tpr(p)) << "\n";
      if (i == 0) {
        PlotCurve c;
        c.title = fmt::format("{} (AUC {:.3f})", v->name, v->targets[i].metrics.auc);
        for (size_t p : corner_points(roc)) {
          c.fpr.push_back(roc.fpr(p));
          c.tpr.push_back(roc.tpr(p));
        }
        curves.push_back(std::move(c));
      }
    }
    write_file_atomic(out / "roc" / (v->name + ".csv"), csv.str());
  }
  if (context.plot && !curves.empty()) {
    const std::string target_name = static_cast<size_t>(run.targets.front()) < context.model_paths.size()
                                        ? fs::path(context.model_paths[static_cast<size_t>(run.targets.front())]).filename().string()
                                        : fmt::format("model {}", run.targets.front());
    const std::string warning = plot_roc_loglog(curves, out / "roc.png", "ROC, target " + target_name);
    if (!warning.empty()) warnings.push_back(warning);
  }

  // The most exposed examples under the strongest variant (vulnerable.h).
  const int64_t top = settings.get_int("attack.vulnerable_top"), grid = settings.get_int("attack.vulnerable_grid");
  nlohmann::json vulnerable = nullptr;
  if (top > 0 || grid > 0) {
    const VulnerableList list =
        vulnerable_examples(run, settings.get_float("attack.vulnerable_fpr"), std::max(top, grid));
    if (!list.variant.empty()) {
      vulnerable = {{"attack", list.variant}, {"fpr_level", list.fpr_level}, {"examples", std::min<int64_t>(top, static_cast<int64_t>(list.examples.size()))}};
      if (top > 0) {
        VulnerableList head = list;
        if (static_cast<int64_t>(head.examples.size()) > top) head.examples.resize(static_cast<size_t>(top));
        write_file_atomic(out / "vulnerable.csv", vulnerable_csv(head, context.pool, context.labels));
        vulnerable["csv"] = "vulnerable.csv";
      }
      if (grid > 0 && context.images.defined()) {
        std::vector<int64_t> shown;
        for (const VulnerableExample& e : list.examples)
          if (static_cast<int64_t>(shown.size()) < grid) shown.push_back(e.example);
        data::write_png_rgb(out / "vulnerable.png", image_grid(context.images, shown));
        vulnerable["png"] = "vulnerable.png";
        vulnerable["png_examples"] = shown.size();
      }
    }
  }

  // results.json last: its presence means the rest is complete.
  nlohmann::json results = context.extra;
  results["format"] = 1;
  results["examples"] = N;
  results["targets"] = run.targets;
  results["settings"] = settings.to_json();
  results["tpr_at_fpr_rule"] =
      "largest TPR among thresholds with FPR <= level, i.e. at most floor(level * non_members) false positives";
  results["attack_seconds"] = run.seconds;
  results["attacks"] = nlohmann::json::array();
  for (const VariantResult& v : run.variants) results["attacks"].push_back(variant_json(v, context.model_paths));
  results["empirical_epsilon_rule"] =
      "max over the ROC's thresholds of log((TPR - delta)/FPR) and log((TNR - delta)/FNR), TPR and TNR one-sided "
      "Clopper-Pearson lower bounds, FPR and FNR upper bounds, each at 1 - (1 - confidence)/2";
  results["files"] = {{"membership", "membership.npy"}, {"targets", "targets.npy"}, {"scores", "scores/<name>.npy"},
                      {"scores_csv", "scores.csv"},     {"roc", "roc/<name>.csv"},  {"plot", "roc.png"}};
  if (!vulnerable.is_null()) results["vulnerable"] = vulnerable;
  write_file_atomic(out / "results.json", results.dump(2) + "\n");
  return warnings;
}

std::string summary_table(const AttackRun& run) {
  std::ostringstream s;
  std::vector<double> levels;
  for (const VariantResult& v : run.variants)
    if (v.skipped.empty() && !v.targets.empty()) {
      levels = v.targets.front().metrics.fpr_levels;
      break;
    }
  s << fmt::format("{:<24} {:>15} {:>15}", "attack", "AUC", "bal. accuracy");
  for (double l : levels) s << fmt::format(" {:>17}", fmt::format("TPR@FPR<={:g}", l));
  s << fmt::format(" {:>15}", "eps_lb");
  s << fmt::format("   (mean ± sd over {} targets)\n", run.targets.size());
  for (const VariantResult& v : run.variants) {
    if (!v.skipped.empty()) {
      s << fmt::format("{:<24} skipped: {}\n", v.name, v.skipped);
      continue;
    }
    std::vector<double> auc, bal, eps;
    std::vector<std::vector<double>> tpr(levels.size());
    for (const TargetResult& r : v.targets) {
      auc.push_back(r.metrics.auc);
      bal.push_back(r.metrics.balanced_accuracy);
      eps.push_back(r.epsilon.lower_bound.epsilon);
      for (size_t l = 0; l < levels.size() && l < r.metrics.tpr.size(); ++l) tpr[l].push_back(r.metrics.tpr[l]);
    }
    const MeanSd a = mean_sd(auc), b = mean_sd(bal);
    s << fmt::format("{:<24} {:>15} {:>15}", v.name, fmt::format("{:.4f} ± {:.4f}", a.mean, a.sd),
                     fmt::format("{:.4f} ± {:.4f}", b.mean, b.sd));
    for (const auto& t : tpr) {
      const MeanSd m = mean_sd(t);
      s << fmt::format(" {:>17}", fmt::format("{:.4f} ± {:.4f}", m.mean, m.sd));
    }
    const MeanSd e = mean_sd(eps);
    s << fmt::format(" {:>15}", fmt::format("{:.3f} ± {:.3f}", e.mean, e.sd));
    if (v.targets.size() != run.targets.size()) s << fmt::format("   ({} targets)", v.targets.size());
    s << "\n";
  }
  return s.str();
}

}  // namespace cwrf::attack
