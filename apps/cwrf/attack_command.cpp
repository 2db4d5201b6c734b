// `cwrf attack`: signals over a set of model directories, then LiRA, RMIA, the metric attacks, BASE,
// BaVarIA and QMIA under the leave-one-out protocol, each with its empirical epsilon, and the most
// exposed examples (docs/ALGORITHMS.md §4); and `cwrf bench attack`, the timing of
// RMIA (sort-based vs pairwise) and LiRA on synthetic signals (docs/performance.md).
#include "commands.h"

#include "cwrf/attack/attack_job.h"
#include "cwrf/attack/benchmark.h"
#include "cwrf/attack/settings.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/progress.h"
#include "cwrf/common/threads.h"
#include "cwrf/job/model_dir.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

namespace cwrf::app {

namespace {

// The command's own inputs; every attack setting is a flag generated from the settings table.
struct AttackArgs {
  std::vector<std::string> models;
  std::string out;
  std::vector<ConfigInputs::Shortcut> settings;  // --rmia-gamma 1, --attacks lira, ... in order
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
      if (job::is_complete_model_dir(e.path())) inside.push_back(e.path());
    if (inside.empty()) throw Error(fmt::format("--models: {} is not a model directory and holds none", text));
    std::sort(inside.begin(), inside.end());
    out.insert(out.end(), inside.begin(), inside.end());
  }
  return out;
}

void run_attack_command(const AttackArgs& args, const std::string& command_line) {
  config::Config settings(attack::attack_schema());
  set_given_settings(settings, args.settings);
  attack::AttackJob job(settings);
  for (const fs::path& p : expand_models(args.models)) job.models.push_back(p);
  job.out = args.out;
  job.cache = args.no_cache ? fs::path() : (args.cache.empty() ? job.out / "cache" : fs::path(args.cache));
  job.threads = args.threads;
  job.device = args.device;
  job.plot = !args.no_plot;
  job.extra = {{"command", command_line}};

  ProgressLine progress;
  attack::AttackJobCallbacks callbacks;
  callbacks.log = [&](const std::string& line) {
    progress.clear();
    std::cerr << line << "\n";
  };
  callbacks.progress = [&](double fraction, const std::string& text) { progress.update(fraction, text); };
  const attack::AttackJobResult r = attack::run_attack_job(job, callbacks);
  progress.clear();
  std::cout << attack::summary_table(r.run);
  std::cout << fmt::format("signals {:.1f}s ({} computed, {} cached), attacks {:.1f}s, outputs {:.1f}s, total {:.1f}s\n",
                           r.signal_seconds, r.signals_computed, r.signals_reused, r.attack_seconds, r.write_seconds,
                           r.seconds);
  std::cout << "results: " << (job.out / "results.json").string() << "\n";
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
    apply_thread_count(*threads);
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
      "attack", "membership inference attacks (LiRA, RMIA, metric, BASE, BaVarIA, QMIA) over model directories sharing a split");
  auto a = std::make_shared<AttackArgs>();
  command->add_option("-m,--models", a->models,
                      "model directories (K >= 2, one split), or folders holding them; the first --targets are attacked")
      ->required()
      ->expected(1, -1);
  command->add_option("-o,--out", a->out, "output directory (results.json, scores, ROC curves)")->required();
  add_settings_options(*command, attack::attack_schema(), a->settings);
  command->add_option("--threads", a->threads, "intra-op threads (0: all cores)")->check(at_least(0))->capture_default_str();
  command->add_option("--device", a->device, "cpu, cuda or cuda:N")->check(device_name())->capture_default_str();
  command->add_option("--cache", a->cache, "signal cache directory (default: OUT/cache)");
  command->add_flag("--no-cache", a->no_cache, "neither read nor write the signal cache");
  command->add_flag("--no-plot", a->no_plot, "skip roc.png");
  command->footer(
      "Example (nine models of one split, each attacked with the other eight as shadows):\n"
      "  cwrf attack --models runs/fm9/* --out runs/fm9-attack\n"
      "Prints AUC, balanced accuracy, TPR at FPR <= 1e-2, 1e-3, 1e-5 and the empirical epsilon lower bound\n"
      "(mean ± sd over targets) per attack and variant; OUT/results.json has them per target with bootstrap\n"
      "intervals, OUT/vulnerable.csv (and .png) the examples most exposed to the strongest attack\n"
      "(README \"Attacks\").");
  command->callback([a, &exit_code] {
    std::string line = "cwrf attack --models";
    for (const auto& m : a->models) line += " " + m;
    line += " --out " + a->out;  // the settings are in results.json ("settings", "queries")
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
