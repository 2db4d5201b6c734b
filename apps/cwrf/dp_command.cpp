// `cwrf dp epsilon|sigma`: the accountants of DP-SGD as a calculator, RDP (docs/ALGORITHMS.md §3) or
// PRV (train/dp/prv_accountant.h);
// `cwrf bench dp`: the cost of a DP-SGD step next to a non-private step of the same model and batch
// (docs/performance.md).
#include "commands.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/mean_sd.h"
#include "cwrf/common/threads.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/dp/accountant.h"
#include "cwrf/train/dp/accountants.h"
#include "cwrf/train/dp/prv_accountant.h"
#include "cwrf/train/dp/dpsgd.h"
#include "cwrf/train/throughput.h"

#include <torch/torch.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <memory>

namespace cwrf::app {

namespace {

struct AccountantArgs {
  double sigma = 0.0;
  double epsilon = 0.0;
  double q = 0.0;
  int64_t steps = 0;
  double delta = 1e-5;
  double tolerance = 0.01;
  std::string accountant = "rdp";
  double eps_error = 0.01;
};

struct BenchDpArgs {
  std::vector<std::string> models = {"cnn", "vit"};
  int64_t batch = 256;
  int64_t steps = 10;
  int64_t warmup = 2;
  int64_t repeats = 3;
  int64_t threads = 0;
  std::string route = "auto";
  std::string json;
};

struct DpPreset {
  std::string name;
  models::ModelSpec spec;
  bool channels_last = false;  // as `cwrf train` runs the model on CPU
};

std::vector<DpPreset> dp_presets() {
  DpPreset cnn{"cnn", {}, true};  // the GroupNorm CNN on 1x28x28
  cnn.spec.norm = "group";
  DpPreset vit{"vit", {}, false};  // the CPU ViT preset on 1x28x28
  vit.spec.name = "vit";
  DpPreset resnet{"resnet18", {}, true};  // CIFAR ResNet18 with GroupNorm, width 64, 3x32x32
  resnet.spec.name = "resnet18";
  resnet.spec.norm = "group";
  resnet.spec.in_channels = 3;
  resnet.spec.image_size = 32;
  return {cnn, vit, resnet};
}

train::dp::NormRoute parse_route(const std::string& route) {
  if (route == "materialize") return train::dp::NormRoute::Materialize;
  if (route == "ghost") return train::dp::NormRoute::Ghost;
  return train::dp::NormRoute::Auto;
}

void run_bench_dp(const BenchDpArgs& args) {
  const auto all = dp_presets();
  const int64_t threads = resolve_threads(args.threads);
  const std::string command =
      fmt::format("cwrf bench dp --models {} --batch {} --steps {} --warmup {} --repeats {} --threads {} --route {}",
                  fmt::join(args.models, ","), args.batch, args.steps, args.warmup, args.repeats, threads, args.route);
  nlohmann::json report = {{"tool", "cwrf"},       {"version", CWRF_VERSION}, {"command", command},
                           {"batch_size", args.batch}, {"threads", threads}, {"results", nlohmann::json::array()}};
  std::cout << fmt::format("{:<9} {:>9}  {:>20}  {:>20}  {:>13}\n", "model", "params", "standard images/s",
                           "dp-sgd images/s", "dp / standard");
  for (const auto& name : args.models) {
    const DpPreset* preset = nullptr;
    for (const auto& p : all)
      if (p.name == name) preset = &p;
    if (preset == nullptr) throw Error(fmt::format("--models: unknown preset '{}'; known: cnn, vit, resnet18", name));
    train::ThroughputOptions o;
    o.spec = preset->spec;
    o.batch_size = args.batch;
    o.steps = args.steps;
    o.repeats = 1;
    o.channels_last = preset->channels_last;
    o.threads = threads;
    train::check_throughput_options(o);
    // Two copies of the same initial model, one per step kind.
    torch::manual_seed(o.seed);
    models::ClassifierPtr standard_model = models::make_model(o.spec);
    torch::manual_seed(o.seed);
    models::ClassifierPtr dp_model = models::make_model(o.spec);
    train::dp::DpSgdOptions dp;
    dp.noise_multiplier = 1.0;
    dp.max_grad_norm = 1.0;
    dp.expected_batch_size = static_cast<double>(args.batch);
    dp.sampling_rate = 0.01;
    dp.route = parse_route(args.route);
    auto dp_step = train::dp::make_dpsgd_step(dp);
    std::cerr << fmt::format("bench dp: {} (warm-up {} steps, then {} repetitions x {} steps of each kind, alternating; "
                             "batch {}, {} threads)\n",
                             name, args.warmup, args.repeats, args.steps, args.batch, threads);
    std::vector<double> standard_rates, dp_rates, ratios;
    int64_t parameters = 0;
    for (int64_t r = 0; r < args.repeats; ++r) {
      o.warmup = r == 0 ? args.warmup : 0;
      o.step = nullptr;
      const auto s = train::measure_train_throughput(*standard_model, o);
      o.step = dp_step.get();
      const auto d = train::measure_train_throughput(*dp_model, o);
      parameters = s.parameters;
      standard_rates.push_back(s.mean);
      dp_rates.push_back(d.mean);
      ratios.push_back(s.mean / d.mean);  // time of a DP step over time of a standard step
    }
    std::cout << fmt::format("{:<9} {:>9}  {:>20}  {:>20}  {:>13}\n", name, parameters,
                             fmt::format("{:.1f} ± {:.1f}", mean_sd(standard_rates).mean, mean_sd(standard_rates).sd),
                             fmt::format("{:.1f} ± {:.1f}", mean_sd(dp_rates).mean, mean_sd(dp_rates).sd),
                             fmt::format("{:.2f} ± {:.2f}", mean_sd(ratios).mean, mean_sd(ratios).sd))
              << std::flush;
    report["results"].push_back({{"model", name},
                                 {"parameters", parameters},
                                 {"norm", o.spec.norm},
                                 {"channels_last", o.channels_last},
                                 {"standard_images_per_second", standard_rates},
                                 {"dp_images_per_second", dp_rates},
                                 {"dp_step_time_over_standard", {{"mean", mean_sd(ratios).mean}, {"sd", mean_sd(ratios).sd}}}});
  }
  if (!args.json.empty()) write_file_atomic(args.json, report.dump(2) + "\n");
}

}  // namespace

void register_dp_command(CLI::App& app, int& exit_code) {
  auto* dp = app.add_subcommand("dp", "DP-SGD privacy accounting (RDP or PRV, sampled Gaussian mechanism)");
  dp->require_subcommand(1);
  auto args = std::make_shared<AccountantArgs>();

  auto* eps = dp->add_subcommand("epsilon", "epsilon spent by T steps at noise multiplier sigma and sampling rate q");
  eps->add_option("--sigma", args->sigma, "noise multiplier (noise std / max_grad_norm)")->required();
  eps->add_option("--q", args->q, "sampling rate (batch size / training set size)")->required();
  eps->add_option("--steps", args->steps, "number of steps")->required();
  eps->add_option("--delta", args->delta, "delta")->capture_default_str();
  eps->add_option("--accountant", args->accountant, "rdp (Renyi DP) or prv (numerical composition, tighter)")
      ->check(CLI::IsMember(train::dp::accountant_names()))
      ->capture_default_str();
  eps->add_option("--eps-error", args->eps_error, "prv: the epsilon error its grid may make (opacus: 0.01)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  eps->footer("Prints epsilon on stdout: RDP's bound, or PRV's certified upper bound (on stderr: the best RDP order,\n"
              "or PRV's interval and grid). Examples:\n"
              "  cwrf dp epsilon --sigma 1.1 --q 0.01 --steps 10000 --delta 1e-5                    # 5.63199\n"
              "  cwrf dp epsilon --sigma 1.1 --q 0.01 --steps 10000 --delta 1e-5 --accountant prv   # 5.20287");
  eps->callback([args, &exit_code] {
    if (args->accountant == "prv") {
      train::dp::PrvOptions o;
      o.eps_error = args->eps_error;
      const auto e = train::dp::prv_epsilon(args->sigma, args->q, args->steps, args->delta, o);
      std::cerr << fmt::format("sigma {} q {} steps {} delta {}: PRV epsilon in [{:.6g}, {:.6g}] (estimate {:.6g}; "
                               "eps_error {}, delta_error {:.3g}, domain [-{:.4g}, {:.4g}], {} grid points)\n",
                               args->sigma, args->q, args->steps, args->delta, e.lower, e.upper, e.estimate,
                               e.eps_error, e.delta_error, e.domain_bound, e.domain_bound, e.grid_points);
      std::cout << fmt::format("{:.6g}\n", e.upper);
    } else {
      const auto spent = train::dp::privacy_spent(args->sigma, args->q, args->steps, args->delta);
      std::cerr << fmt::format("sigma {} q {} steps {} delta {}: epsilon at RDP order {}\n", args->sigma, args->q,
                               args->steps, args->delta, spent.order);
      std::cout << fmt::format("{:.6g}\n", spent.epsilon);
    }
    exit_code = 0;
  });

  auto* sigma = dp->add_subcommand("sigma", "the noise multiplier that keeps epsilon <= E after T steps at rate q");
  sigma->add_option("--epsilon", args->epsilon, "target epsilon")->required();
  sigma->add_option("--q", args->q, "sampling rate (batch size / training set size)")->required();
  sigma->add_option("--steps", args->steps, "number of steps")->required();
  sigma->add_option("--delta", args->delta, "delta")->capture_default_str();
  sigma->add_option("--tolerance", args->tolerance, "stop when target - epsilon <= this")->capture_default_str();
  sigma->add_option("--accountant", args->accountant, "rdp or prv: whose epsilon the search holds to the target")
      ->check(CLI::IsMember(train::dp::accountant_names()))
      ->capture_default_str();
  sigma->footer("Prints sigma on stdout (its epsilon on stderr); the search of `cwrf train --defense dpsgd --set\n"
                "dp.epsilon=E` (opacus get_noise_multiplier). Example:\n"
                "  cwrf dp sigma --epsilon 8 --q 0.0256 --steps 1560 --delta 1e-5");
  sigma->callback([args, &exit_code] {
    const double s = train::dp::accountant_noise_multiplier(args->accountant, args->epsilon, args->q, args->steps,
                                                            args->delta, args->tolerance);
    std::cerr << fmt::format("target epsilon {} q {} steps {} delta {}: sigma {} gives epsilon {:.6g} ({})\n",
                             args->epsilon, args->q, args->steps, args->delta, s,
                             train::dp::accountant_epsilon(args->accountant, s, args->q, args->steps, args->delta),
                             args->accountant);
    std::cout << fmt::format("{}\n", s);
    exit_code = 0;
  });

  // `cwrf bench dp`, under the bench command registered before this one.
  CLI::App* bench = app.get_subcommand("bench");
  auto bench_args = std::make_shared<BenchDpArgs>();
  auto* bench_dp = bench->add_subcommand(
      "dp", "time of a DP-SGD step (per-sample clipping + noise) over a standard step of the same model and batch");
  bench_dp->add_option("--models", bench_args->models, "comma-separated presets: cnn, vit, resnet18")
      ->delimiter(',')
      ->default_str("cnn,vit");
  bench_dp->add_option("--batch", bench_args->batch, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  bench_dp->add_option("--steps", bench_args->steps, "timed steps per repetition and kind")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench_dp->add_option("--warmup", bench_args->warmup, "untimed steps of each kind first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  bench_dp->add_option("--repeats", bench_args->repeats, "repetitions (alternating standard / DP-SGD)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench_dp->add_option("--threads", bench_args->threads, "intra-op threads (0: all cores)")->capture_default_str();
  bench_dp->add_option("--route", bench_args->route, "per-sample norms: auto (cheaper exact route per layer), "
                                                     "materialize, ghost")
      ->check(CLI::IsMember({"auto", "materialize", "ghost"}))
      ->capture_default_str();
  bench_dp->add_option("--json", bench_args->json, "also write the results as JSON to FILE");
  bench_dp->footer("Presets: cnn (GroupNorm, 1x28x28, channels-last), vit (CPU preset, 1x28x28), resnet18 (GroupNorm,\n"
                   "width 64, 3x32x32); 10 classes. One fixed random batch; Adam step included on both sides.");
  bench_dp->callback([bench_args, &exit_code] {
    run_bench_dp(*bench_args);
    exit_code = 0;
  });
}

}  // namespace cwrf::app
