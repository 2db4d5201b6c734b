// `cwrf attack`: signals over a set of model directories, then LiRA, RMIA and the metric attacks
// under the leave-one-out protocol (docs/ALGORITHMS.md §4); and `cwrf bench attack`, the timing of
// RMIA (sort-based vs pairwise) and LiRA on synthetic signals (docs/performance.md).
#include "commands.h"

#include "cwrf/attack/benchmark.h"
#include "cwrf/attack/model_set.h"
#include "cwrf/attack/runner.h"
#include "cwrf/attack/signals.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/progress.h"
#include "cwrf/train/model_dir.h"
#include "cwrf/train/train_job.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

namespace cwrf::app {

namespace {

struct AttackArgs {
  std::vector<std::string> models;
  std::string out;
  int64_t targets = 0;
  std::vector<std::string> queries;  // empty: the domain's default (attack::default_queries)
  std::vector<std::string> attacks = {"lira", "rmia", "metric"};
  std::vector<std::string> lira_variants = {"online", "online-fixed", "offline", "offline-fixed"};
  std::vector<std::string> rmia_variants = {"online", "offline"};
  std::vector<std::string> metrics = {"loss", "confidence", "entropy", "modified-entropy"};
  double rmia_gamma = 2.0;
  double rmia_offline_a = 0.3;
  double rmia_temperature = 1.0;
  double rmia_margin = 0.0;
  int64_t rmia_population = 0;
  std::vector<double> fpr = {1e-2, 1e-3, 1e-5};
  int64_t bootstrap = 200;
  uint64_t seed = 0;
  int64_t batch_size = 256;  // signals.h: larger CNN batches page-fault their activations in every batch
  int64_t threads = 0;
  std::string device = "cpu";
  std::string cache;
  bool no_cache = false;
  bool no_plot = false;
};

// A directory that is not itself a model directory stands for the complete model directories
// inside it, in name order (`--models runs/fm9`).
std::vector<fs::path> expand_models(const std::vector<std::string>& given) {
  std::vector<fs::path> out;
  for (const std::string& text : given) {
    const fs::path p(text);
    std::error_code ec;
    if (!fs::is_directory(p, ec)) throw Error(fmt::format("--models: {} is not a directory", text));
    if (fs::exists(p / "manifest.json", ec)) {
      out.push_back(p);
      continue;
    }
    std::vector<fs::path> inside;
    for (const auto& e : fs::directory_iterator(p, ec))
      if (train::is_complete_model_dir(e.path())) inside.push_back(e.path());
    if (inside.empty()) throw Error(fmt::format("--models: {} is not a model directory and holds none", text));
    std::sort(inside.begin(), inside.end());
    out.insert(out.end(), inside.begin(), inside.end());
  }
  return out;
}

attack::AttackPlan make_plan(const AttackArgs& a) {
  attack::AttackPlan plan;
  plan.lira = plan.rmia = plan.metric = false;
  for (const std::string& name : a.attacks) {
    if (name == "lira") plan.lira = true;
    else if (name == "rmia") plan.rmia = true;
    else if (name == "metric") plan.metric = true;
    else throw Error(fmt::format("--attacks: unknown attack '{}'; known: lira, rmia, metric", name));
  }
  plan.lira_variants.clear();
  for (const std::string& v : a.lira_variants) {
    if (v == "online") plan.lira_variants.push_back({true, false});
    else if (v == "online-fixed") plan.lira_variants.push_back({true, true});
    else if (v == "offline") plan.lira_variants.push_back({false, false});
    else if (v == "offline-fixed") plan.lira_variants.push_back({false, true});
    else throw Error(fmt::format("--lira-variants: unknown variant '{}'; known: online, online-fixed, offline, offline-fixed", v));
  }
  plan.rmia_online.clear();
  for (const std::string& v : a.rmia_variants) {
    if (v == "online" || v == "offline") plan.rmia_online.push_back(v == "online");
    else throw Error(fmt::format("--rmia-variants: unknown variant '{}'; known: online, offline", v));
  }
  plan.metrics.clear();
  for (const std::string& m : a.metrics) plan.metrics.push_back(attack::parse_metric(m));
  require(!plan.lira || !plan.lira_variants.empty(), "--lira-variants: empty");
  require(!plan.rmia || !plan.rmia_online.empty(), "--rmia-variants: empty");
  require(!plan.metric || !plan.metrics.empty(), "--metrics: empty");
  require(a.rmia_gamma > 0, fmt::format("--rmia-gamma must be > 0, got {}", a.rmia_gamma));
  require(a.rmia_offline_a >= 0 && a.rmia_offline_a <= 1, fmt::format("--rmia-offline-a must be in [0, 1], got {}", a.rmia_offline_a));
  require(a.rmia_temperature > 0, fmt::format("--rmia-temperature must be > 0, got {}", a.rmia_temperature));
  for (double f : a.fpr) require(f > 0 && f < 1, fmt::format("--fpr: levels must be in (0, 1), got {}", f));
  plan.rmia_gamma = a.rmia_gamma;
  plan.rmia_offline_a = a.rmia_offline_a;
  plan.rmia_temperature = a.rmia_temperature;
  plan.rmia_margin = a.rmia_margin;
  plan.rmia_population = a.rmia_population;
  plan.targets = a.targets;
  plan.roc.fpr_levels = a.fpr;
  plan.roc.bootstrap = a.bootstrap;
  plan.seed = a.seed;
  return plan;
}

void run_attack_command(const AttackArgs& args, const std::string& command_line) {
  const auto started = std::chrono::steady_clock::now();
  const attack::AttackPlan plan = make_plan(args);
  const std::vector<fs::path> paths = expand_models(args.models);
  const attack::ModelSet set = attack::open_model_set(paths);
  const std::vector<std::string> query_list = args.queries.empty() ? attack::default_queries(set) : args.queries;
  const std::vector<attack::Query> queries = attack::parse_queries(query_list);
  attack::check_feasible(set.membership, plan);  // before minutes of inference
  const int64_t threads = args.threads > 0 ? args.threads : std::max<int64_t>(1, std::thread::hardware_concurrency());
  train::apply_thread_count(threads);
  const fs::path out(args.out);

  ProgressLine progress;
  auto log = [&](const std::string& line) {
    progress.clear();
    std::cerr << line << "\n";
  };
  attack::SignalOptions so;
  so.queries = queries;
  so.batch_size = args.batch_size;
  so.device = args.device;
  so.cache_dir = args.no_cache ? fs::path() : (args.cache.empty() ? out / "cache" : fs::path(args.cache));
  so.log = log;
  so.progress = [&](int64_t done, int64_t total, const std::string& model) {
    progress.update(static_cast<double>(done) / static_cast<double>(total),
                    fmt::format("signals {}/{} batches ({})", done, total, model));
  };
  log(fmt::format("attack: {} models sharing a pool of {} points (split of {} models), queries {}", set.models.size(),
                  set.pool.size(0), set.split_models, fmt::join(query_list, ",")));
  const attack::Signals signals = attack::load_signals(set, so);
  progress.clear();
  log(fmt::format("signals: {:.1f}s", signals.seconds));

  const attack::AttackRun run = attack::run_attacks(signals.logits, signals.labels, set.membership, plan, log);

  nlohmann::json models = nlohmann::json::array();
  std::vector<std::string> names;
  for (const auto& m : set.models) {
    names.push_back(m.path.string());
    nlohmann::json entry = {{"path", m.path.string()}, {"hash", m.hash}, {"split_model", m.split_model}};
    for (const char* key : {"test_acc", "train_acc"})
      if (m.metrics.contains(key)) entry[key] = m.metrics[key];
    models.push_back(entry);
  }
  attack::OutputContext context;
  context.model_paths = names;
  context.pool = set.pool;
  context.labels = signals.labels;
  context.plot = !args.no_plot;
  std::vector<std::string> query_names;
  for (const auto& q : so.queries) query_names.push_back(q.name);
  context.extra = {{"command", command_line},
                   {"cwrf_version", CWRF_VERSION},
                   {"models", models},
                   {"split_models", set.split_models},
                   {"pool_hash", set.pool_hash},
                   {"data_fingerprint", set.data_fingerprint},
                   {"queries", query_names},
                   {"threads", threads},
                   {"signals", {{"seconds", signals.seconds},
                                {"computed_models", signals.computed},
                                {"cached_models", signals.reused},
                                {"cache", so.cache_dir.string()}}}};
  const auto write_started = std::chrono::steady_clock::now();
  for (const std::string& w : attack::write_attack_outputs(run, plan, out, context)) log("warning: " + w);
  const double write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - write_started).count();
  std::cout << attack::summary_table(run);
  std::cout << fmt::format("signals {:.1f}s ({} computed, {} cached), attacks {:.1f}s, outputs {:.1f}s, total {:.1f}s\n",
                           signals.seconds, signals.computed, signals.reused, run.seconds, write_seconds,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  std::cout << "results: " << (out / "results.json").string() << "\n";
}

void register_bench_attack(CLI::App& bench, int& exit_code) {
  auto* command = bench.add_subcommand(
      "attack", "attack scoring time on synthetic signals: RMIA sort-based vs pairwise, and LiRA");
  auto o = std::make_shared<attack::AttackBenchOptions>();
  auto json = std::make_shared<std::string>();
  auto threads = std::make_shared<int64_t>(1);
  command->add_option("--examples", o->examples, "examples scored (N)")->check(at_least(1))->capture_default_str();
  command->add_option("--population", o->population, "RMIA population size |Z|")->check(at_least(1))->capture_default_str();
  command->add_option("--references", o->references, "reference (shadow) models")->check(at_least(2))->capture_default_str();
  command->add_option("--queries", o->queries, "queries per example")->check(at_least(1))->capture_default_str();
  command->add_option("--pairwise-subset", o->pairwise_subset,
                      "examples scored by the pairwise definition, extrapolated to N (0: all)")
      ->check(at_least(0))
      ->capture_default_str();
  command->add_option("--repeats", o->repeats, "timed repetitions of the fast parts")->check(at_least(1))->capture_default_str();
  command->add_option("--seed", o->seed, "seed of the synthetic signals")->capture_default_str();
  command->add_option("--threads", *threads, "intra-op threads (the scoring loops are single-threaded)")
      ->check(at_least(1))
      ->capture_default_str();
  command->add_option("--json", *json, "also write the results as JSON to FILE");
  command->callback([o, json, threads, &exit_code] {
    train::apply_thread_count(*threads);
    std::cerr << fmt::format("bench attack: N = {}, |Z| = {}, {} reference models, {} queries\n", o->examples,
                             o->population, o->references, o->queries);
    const nlohmann::json r = attack::run_attack_benchmark(*o);
    auto ms = [&](const char* key) {
      return fmt::format("{:8.1f} ms CPU ({:.1f} ± {:.1f} ms wall)", 1e3 * r[key]["cpu_mean"].get<double>(),
                         1e3 * r[key]["mean"].get<double>(), 1e3 * r[key]["sd"].get<double>());
    };
    std::cout << fmt::format("RMIA P(x) and ratios, all examples   {}\n", ms("rmia_log_ratios_seconds"));
    std::cout << fmt::format("RMIA scores, sort-based              {}\n", ms("rmia_sorted_seconds"));
    std::cout << fmt::format("RMIA scores, pairwise                {:8.1f} ms CPU{} ({} of {} examples: {:.1f} ms CPU, {:.1f} ms wall)\n",
                             1e3 * r["rmia_pairwise_cpu_seconds_extrapolated"].get<double>(),
                             r["rmia_pairwise_extrapolated"].get<bool>() ? ", extrapolated" : "",
                             r["rmia_pairwise_examples"].get<int64_t>(), r["examples"].get<int64_t>(),
                             1e3 * r["rmia_pairwise_cpu_seconds_measured"].get<double>(),
                             1e3 * r["rmia_pairwise_seconds_measured"].get<double>());
    std::cout << fmt::format("speed-up sort-based vs pairwise      {:.0f}x (CPU time); identical scores: {}\n",
                             r["rmia_speedup_cpu"].get<double>(), r["rmia_agree"].get<bool>() ? "yes" : "NO");
    std::cout << fmt::format("LiRA online, per-example variance    {}\n", ms("lira_online_seconds"));
    std::cout << fmt::format("LiRA offline, per-example variance   {}\n", ms("lira_offline_seconds"));
    if (!json->empty()) write_file_atomic(*json, r.dump(2) + "\n");
    exit_code = r["rmia_agree"].get<bool>() ? 0 : 1;
  });
}

}  // namespace

void register_attack_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "attack", "membership inference attacks (LiRA, RMIA, metric) over model directories sharing a split");
  auto a = std::make_shared<AttackArgs>();
  command->add_option("-m,--models", a->models,
                      "model directories (K >= 2, one split), or folders holding them; the first --targets are attacked")
      ->required()
      ->expected(1, -1);
  command->add_option("-o,--out", a->out, "output directory (results.json, scores, ROC curves)")->required();
  command->add_option("--targets", a->targets, "attack the first N models, each with the others as shadows (0: all)")
      ->check(at_least(0))
      ->capture_default_str();
  command->add_option("--queries", a->queries, "identity, mirror, shift:DX:DY, mirror+shift:DX:DY (default: identity,mirror for images, identity for text)")
      ->delimiter(',');
  command->add_option("--attacks", a->attacks, "lira, rmia, metric")->delimiter(',')->default_str("lira,rmia,metric");
  command->add_option("--lira-variants", a->lira_variants, "online, online-fixed, offline, offline-fixed")
      ->delimiter(',')
      ->default_str("online,online-fixed,offline,offline-fixed");
  command->add_option("--rmia-variants", a->rmia_variants, "online, offline")->delimiter(',')->default_str("online,offline");
  command->add_option("--metrics", a->metrics, "loss, confidence, entropy, modified-entropy")
      ->delimiter(',')
      ->default_str("loss,confidence,entropy,modified-entropy");
  command->add_option("--rmia-gamma", a->rmia_gamma, "RMIA γ: z counts when LR(x, z) > γ")->capture_default_str();
  command->add_option("--rmia-offline-a", a->rmia_offline_a, "RMIA offline a: P(x) = (1+a)/2 P_out(x) + (1-a)/2")
      ->capture_default_str();
  command->add_option("--rmia-temperature", a->rmia_temperature, "RMIA signal: softmax temperature")->capture_default_str();
  command->add_option("--rmia-margin", a->rmia_margin, "RMIA signal: soft margin on the true logit")->capture_default_str();
  command->add_option("--rmia-population", a->rmia_population,
                      "RMIA population size |Z|: a seeded subset of the target's non-members (0: all)")
      ->check(at_least(0))
      ->capture_default_str();
  command->add_option("--fpr", a->fpr, "FPR levels for TPR@FPR (FPR <= level)")->delimiter(',')->default_str("0.01,0.001,1e-05");
  command->add_option("--bootstrap", a->bootstrap, "bootstrap replicates for the TPR intervals (0: none)")
      ->check(at_least(0))
      ->capture_default_str();
  command->add_option("--seed", a->seed, "seed of population subsets and bootstrap")->capture_default_str();
  command->add_option("--batch-size", a->batch_size, "inference batch size")->check(at_least(1))->capture_default_str();
  command->add_option("--threads", a->threads, "intra-op threads (0: all cores)")->check(at_least(0))->capture_default_str();
  command->add_option("--device", a->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  command->add_option("--cache", a->cache, "signal cache directory (default: OUT/cache)");
  command->add_flag("--no-cache", a->no_cache, "neither read nor write the signal cache");
  command->add_flag("--no-plot", a->no_plot, "skip roc.png");
  command->footer(
      "Example (nine models of one split, each attacked with the other eight as shadows):\n"
      "  cwrf attack --models runs/fm9/* --out runs/fm9-attack\n"
      "Prints AUC, balanced accuracy and TPR at FPR <= 1e-2, 1e-3, 1e-5 (mean ± sd over targets) per attack\n"
      "and variant; OUT/results.json has them per target with bootstrap intervals (README \"Attacks\").");
  command->callback([a, &exit_code] {
    std::string line = "cwrf attack --models";
    for (const auto& m : a->models) line += " " + m;
    line += " --out " + a->out;  // the other options are in results.json's "plan" and "queries"
    run_attack_command(*a, line);
    exit_code = 0;
  });
  // `cwrf bench attack` joins the other benchmarks when `bench` is registered first (main.cpp).
  try {
    register_bench_attack(*app.get_subcommand("bench"), exit_code);
  } catch (const CLI::OptionNotFound&) {
  }
}

}  // namespace cwrf::app
