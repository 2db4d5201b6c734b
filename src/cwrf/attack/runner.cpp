#include "cwrf/attack/runner.h"

#include "cwrf/attack/plot.h"
#include "cwrf/attack/protocol.h"
#include "cwrf/attack/statistics.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/npy.h"

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

uint64_t derive(uint64_t seed, const std::string& name, int64_t target) {
  return seed * 0x9E3779B97F4A7C15ULL ^ (std::hash<std::string>{}(name) + static_cast<uint64_t>(target) * 0xBF58476D1CE4E5B9ULL);
}

// ½(Pr_members[score ≥ 0] + Pr_non-members[score < 0]): the metric attacks' fitted operating point.
double accuracy_at_zero(const std::vector<double>& scores, const std::vector<uint8_t>& members) {
  double tp = 0, tn = 0, p = 0, n = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (members[i]) {
      ++p;
      tp += scores[i] >= 0 ? 1 : 0;
    } else {
      ++n;
      tn += scores[i] < 0 ? 1 : 0;
    }
  }
  return 0.5 * ((p > 0 ? tp / p : 0.0) + (n > 0 ? tn / n : 0.0));
}

// Runs one variant over all targets; `score` returns the scores of a target or throws; `shortfall`
// says why a target cannot be attacked ("" when it can).
VariantResult run_variant(const std::string& attack, const std::string& variant, nlohmann::json options,
                          const std::vector<int64_t>& targets, const std::vector<std::vector<uint8_t>>& membership,
                          const std::function<std::string(int64_t)>& shortfall,
                          const std::function<std::vector<double>(int64_t, const std::vector<uint8_t>&, TargetResult&)>& score,
                          const AttackPlan& plan) {
  VariantResult v;
  v.attack = attack;
  v.variant = variant;
  v.name = attack + "-" + variant;
  v.options = std::move(options);
  const auto started = Clock::now();
  for (int64_t t : targets) {
    const std::string why = shortfall(t);
    if (!why.empty()) {
      v.skipped = why;
      v.targets.clear();
      return v;
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    TargetResult r;
    r.target = targets[i];
    r.scores = score(targets[i], membership[i], r);
    RocOptions roc = plan.roc;
    roc.seed = derive(plan.seed, v.name, targets[i]);
    r.metrics = evaluate_roc(r.scores, membership[i], roc);
    v.targets.push_back(std::move(r));
  }
  v.seconds = seconds_since(started);
  return v;
}

std::string metric_shortfall(const ShadowSplit& s, MetricKind kind) {
  if (s.in_count >= 1 && s.out_count >= 1) return "";
  return fmt::format("metric attack ({}) for target model {} needs IN and OUT shadow models for every example, has "
                     "{} IN and {} OUT", metric_name(kind), s.target, s.in_count, s.out_count);
}

RmiaOptions rmia_options(const AttackPlan& plan, bool online) {
  RmiaOptions o;
  o.online = online;
  o.offline_a = plan.rmia_offline_a;
  o.gamma = plan.rmia_gamma;
  return o;
}

std::vector<int64_t> plan_targets(const MembershipMask& membership, const AttackPlan& plan) {
  const int64_t M = membership.models;
  require(plan.targets >= 0 && plan.targets <= M,
          fmt::format("--targets must be in [0, {}] (0 = every model), got {}", M, plan.targets));
  std::vector<int64_t> targets;
  for (int64_t t = 0; t < (plan.targets == 0 ? M : plan.targets); ++t) targets.push_back(t);
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

nlohmann::json plan_json(const AttackPlan& p) {
  nlohmann::json lira = nlohmann::json::array(), rmia = nlohmann::json::array(), metric = nlohmann::json::array();
  for (const auto& o : p.lira_variants) lira.push_back(lira_variant(o));
  for (bool online : p.rmia_online) rmia.push_back(online ? "online" : "offline");
  for (MetricKind k : p.metrics) metric.push_back(metric_name(k));
  return {{"lira", p.lira ? lira : nlohmann::json::array()},
          {"rmia", p.rmia ? rmia : nlohmann::json::array()},
          {"metric", p.metric ? metric : nlohmann::json::array()},
          {"rmia_gamma", p.rmia_gamma},
          {"rmia_offline_a", p.rmia_offline_a},
          {"rmia_temperature", p.rmia_temperature},
          {"rmia_margin", p.rmia_margin},
          {"rmia_population", p.rmia_population},
          {"fpr_levels", p.roc.fpr_levels},
          {"bootstrap", p.roc.bootstrap},
          {"confidence", p.roc.confidence},
          {"seed", p.seed}};
}

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd r;
  if (values.empty()) return r;
  for (double v : values) r.mean += v;
  r.mean /= static_cast<double>(values.size());
  if (values.size() > 1) {
    double ss = 0.0;
    for (double v : values) ss += (v - r.mean) * (v - r.mean);
    r.sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  }
  return r;
}

void check_feasible(const MembershipMask& membership, const AttackPlan& plan) {
  std::vector<ShadowSplit> splits;
  for (int64_t t : plan_targets(membership, plan)) splits.push_back(split_shadows(membership, t));
  // A family is feasible when one of its variants has enough shadows for every target.
  auto family = [&](bool enabled, const std::string& name, const std::vector<std::function<std::string(const ShadowSplit&)>>& variants) {
    if (!enabled || variants.empty()) return;
    std::string first_reason;
    for (const auto& shortfall : variants) {
      std::string reason;
      for (const ShadowSplit& s : splits)
        if (reason.empty()) reason = shortfall(s);
      if (reason.empty()) return;
      if (first_reason.empty()) first_reason = reason;
    }
    throw Error(fmt::format("too few models for {}: {}", name, first_reason));
  };
  std::vector<std::function<std::string(const ShadowSplit&)>> lira, rmia, metric;
  for (const LiraOptions& o : plan.lira_variants) lira.push_back([o](const ShadowSplit& s) { return lira_shortfall(s, o); });
  for (bool online : plan.rmia_online) {
    const RmiaOptions o = rmia_options(plan, online);
    rmia.push_back([o](const ShadowSplit& s) { return rmia_shortfall(s, o); });
  }
  for (MetricKind k : plan.metrics) metric.push_back([k](const ShadowSplit& s) { return metric_shortfall(s, k); });
  family(plan.lira, "LiRA", lira);
  family(plan.rmia, "RMIA", rmia);
  family(plan.metric, "the metric attacks", metric);
}

AttackRun run_attacks(const torch::Tensor& logits, const torch::Tensor& labels, const MembershipMask& membership,
                      const AttackPlan& plan, const std::function<void(const std::string&)>& log) {
  const auto started = Clock::now();
  require(logits.dim() == 4 && logits.size(0) == membership.models && logits.size(1) == membership.examples,
          fmt::format("run_attacks: logits must be [models = {}, examples = {}, queries, classes]", membership.models,
                      membership.examples));
  const int64_t M = membership.models, N = membership.examples, C = logits.size(3);
  check_feasible(membership, plan);
  AttackRun run;
  run.examples = N;
  run.targets = plan_targets(membership, plan);
  for (int64_t t : run.targets) run.membership.push_back(target_membership(membership, t));
  std::vector<ShadowSplit> splits(static_cast<size_t>(M));
  for (int64_t t : run.targets) splits[static_cast<size_t>(t)] = split_shadows(membership, t);
  auto split_of = [&](int64_t t) -> const ShadowSplit& { return splits[static_cast<size_t>(t)]; };

  const Statistics stats = compute_statistics(logits, labels);
  const torch::Tensor labels_long = labels.to(torch::kLong).contiguous();
  const std::vector<int64_t> label_vec(labels_long.data_ptr<int64_t>(), labels_long.data_ptr<int64_t>() + N);
  auto note = [&](const VariantResult& v) {
    if (!log) return;
    if (!v.skipped.empty())
      log(fmt::format("{}: skipped: {}", v.name, v.skipped));
    else
      log(fmt::format("{}: {} targets in {:.2f}s", v.name, v.targets.size(), v.seconds));
  };

  if (plan.lira) {
    for (const LiraOptions& o : plan.lira_variants) {
      run.variants.push_back(run_variant(
          "lira", lira_variant(o), {{"online", o.online}, {"fixed_variance", o.fixed_variance}}, run.targets,
          run.membership, [&](int64_t t) { return lira_shortfall(split_of(t), o); },
          [&](int64_t t, const std::vector<uint8_t>&, TargetResult&) { return lira_scores(stats.logit_scaled, split_of(t), o); }, plan));
      note(run.variants.back());
    }
  }
  if (plan.rmia) {
    const SignalArray log_signal = compute_log_rmia_signal(logits, labels, plan.rmia_temperature, plan.rmia_margin);
    for (bool online : plan.rmia_online) {
      const RmiaOptions o = rmia_options(plan, online);
      nlohmann::json options = {{"online", online},
                                {"gamma", o.gamma},
                                {"temperature", plan.rmia_temperature},
                                {"margin", plan.rmia_margin},
                                {"population", plan.rmia_population}};
      if (!online) options["offline_a"] = o.offline_a;
      run.variants.push_back(run_variant(
          "rmia", rmia_variant(o), options, run.targets, run.membership,
          [&](int64_t t) { return rmia_shortfall(split_of(t), o); },
          [&](int64_t t, const std::vector<uint8_t>&, TargetResult&) {
            const std::vector<int64_t> population =
                rmia_population(membership, t, plan.rmia_population, derive(plan.seed, "population", t));
            const std::vector<double> ratios = rmia_log_ratios(log_signal, split_of(t), o);
            return rmia_scores(ratios, N, log_signal.queries, population, o.gamma);
          },
          plan));
      note(run.variants.back());
    }
  }
  if (plan.metric) {
    for (MetricKind kind : plan.metrics) {
      const SignalArray* statistic = kind == MetricKind::kLoss         ? &stats.loss
                                     : kind == MetricKind::kConfidence ? &stats.confidence
                                     : kind == MetricKind::kEntropy    ? &stats.entropy
                                                                       : &stats.modified_entropy;
      run.variants.push_back(run_variant(
          "metric", metric_name(kind), {{"class_dependent_thresholds", true}}, run.targets, run.membership,
          [&](int64_t t) { return metric_shortfall(split_of(t), kind); },
          [&](int64_t t, const std::vector<uint8_t>& members, TargetResult& r) {
            MetricResult m = metric_attack(*statistic, kind, label_vec, C, split_of(t));
            r.threshold_accuracy = accuracy_at_zero(m.scores, members);
            return std::move(m.scores);
          },
          plan));
      note(run.variants.back());
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
  std::vector<double> auc, bal, thr_acc;
  std::vector<std::vector<double>> tpr;
  nlohmann::json per = nlohmann::json::array();
  for (const TargetResult& r : v.targets) {
    auc.push_back(r.metrics.auc);
    bal.push_back(r.metrics.balanced_accuracy);
    tpr.resize(r.metrics.tpr.size());
    for (size_t l = 0; l < r.metrics.tpr.size(); ++l) tpr[l].push_back(r.metrics.tpr[l]);
    nlohmann::json t = metrics_json(r.metrics);
    t["target"] = r.target;
    if (static_cast<size_t>(r.target) < target_names.size()) t["model"] = target_names[static_cast<size_t>(r.target)];
    if (r.threshold_accuracy >= 0) {
      t["threshold_accuracy"] = r.threshold_accuracy;
      thr_acc.push_back(r.threshold_accuracy);
    }
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

std::vector<std::string> write_attack_outputs(const AttackRun& run, const AttackPlan& plan, const fs::path& out,
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
    torch::Tensor scores = torch::empty({T, N}, torch::kFloat64);
    for (int64_t i = 0; i < T; ++i)
      std::copy(v->targets[static_cast<size_t>(i)].scores.begin(), v->targets[static_cast<size_t>(i)].scores.end(),
                scores[i].data_ptr<double>());
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
        for (const VariantResult* v : done) csv << "," << csv_number(v->targets[static_cast<size_t>(i)].scores[static_cast<size_t>(n)]);
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

  // results.json last: its presence means the rest is complete.
  nlohmann::json results = context.extra;
  results["format"] = 1;
  results["examples"] = N;
  results["targets"] = run.targets;
  results["plan"] = plan_json(plan);
  results["tpr_at_fpr_rule"] =
      "largest TPR among thresholds with FPR <= level, i.e. at most floor(level * non_members) false positives";
  results["attack_seconds"] = run.seconds;
  results["attacks"] = nlohmann::json::array();
  for (const VariantResult& v : run.variants) results["attacks"].push_back(variant_json(v, context.model_paths));
  results["files"] = {{"membership", "membership.npy"}, {"targets", "targets.npy"}, {"scores", "scores/<name>.npy"},
                      {"scores_csv", "scores.csv"},     {"roc", "roc/<name>.csv"},  {"plot", "roc.png"}};
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
  s << fmt::format("   (mean ± sd over {} targets)\n", run.targets.size());
  for (const VariantResult& v : run.variants) {
    if (!v.skipped.empty()) {
      s << fmt::format("{:<24} skipped: {}\n", v.name, v.skipped);
      continue;
    }
    std::vector<double> auc, bal;
    std::vector<std::vector<double>> tpr(levels.size());
    for (const TargetResult& r : v.targets) {
      auc.push_back(r.metrics.auc);
      bal.push_back(r.metrics.balanced_accuracy);
      for (size_t l = 0; l < levels.size() && l < r.metrics.tpr.size(); ++l) tpr[l].push_back(r.metrics.tpr[l]);
    }
    const MeanSd a = mean_sd(auc), b = mean_sd(bal);
    s << fmt::format("{:<24} {:>15} {:>15}", v.name, fmt::format("{:.4f} ± {:.4f}", a.mean, a.sd),
                     fmt::format("{:.4f} ± {:.4f}", b.mean, b.sd));
    for (const auto& t : tpr) {
      const MeanSd m = mean_sd(t);
      s << fmt::format(" {:>17}", fmt::format("{:.4f} ± {:.4f}", m.mean, m.sd));
    }
    s << "\n";
  }
  return s.str();
}

}  // namespace cwrf::attack
