// `cwrf bench train`: images/s of a training step for the CPU presets and the paper's models;
// bench/train_throughput.sh sets them next to the same step in PyTorch.
#include "commands.h"

#include "cwrf/common/blas.h"
#include "cwrf/common/device.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/threads.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/roofline.h"
#include "cwrf/train/amp.h"
#include "cwrf/train/throughput.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <iostream>
#include <memory>
#include <optional>

namespace cwrf::app {

namespace {

struct Preset {
  std::string name;
  models::ModelSpec spec;
  bool conv = false;  // channels-last by default, as `cwrf train` on CPU
  // Defaults sized so one repetition takes seconds: ResNet18 and the paper's ViT train at tens
  // of images/s on a small CPU, i.e. seconds per batch of 256.
  int64_t warmup = 3;
  int64_t steps = 20;
};

std::vector<Preset> presets() {
  Preset cnn{"cnn", {}, true};  // the default spec: 1x28x28 (Fashion-MNIST), 10 classes

  Preset vit{"vit", {}, false};  // the default CPU preset
  vit.spec.name = "vit";

  Preset vit_paper{"vit-paper", {}, false, 1, 2};  // paper Sec. 5.1
  vit_paper.spec.name = "vit";
  vit_paper.spec.in_channels = 3;
  vit_paper.spec.image_size = 32;
  vit_paper.spec.width = 512;
  vit_paper.spec.depth = 6;
  vit_paper.spec.heads = 8;
  vit_paper.spec.mlp_dim = 512;
  vit_paper.spec.patch = 4;

  Preset resnet{"resnet18", {}, true, 1, 3};  // CIFAR form, width 64
  resnet.spec.name = "resnet18";
  resnet.spec.in_channels = 3;
  resnet.spec.image_size = 32;
  resnet.spec.width = 64;

  // The CPU-scale models the experiments train on Fashion-MNIST (configs/quick.toml, paper-cpu.toml).
  Preset cnn16{"cnn-w16", {}, true};
  cnn16.spec.width = 16;
  Preset resnet8{"resnet18-w8", {}, true};
  resnet8.spec.name = "resnet18";
  resnet8.spec.width = 8;
  return {cnn, vit, vit_paper, resnet, cnn16, resnet8};
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& p : presets()) names.push_back(p.name);
  return names;
}

const Preset& find_preset(const std::vector<Preset>& all, const std::string& name) {
  for (const auto& p : all)
    if (p.name == name) return p;
  throw Error(fmt::format("--models: unknown model preset '{}'; known presets: {}", name, fmt::join(preset_names(), ", ")));
}

struct BenchArgs {
  std::vector<std::string> models = {"cnn", "vit", "vit-paper", "resnet18"};
  int64_t batch = 256;
  std::optional<int64_t> steps, warmup;
  int64_t repeats = 3;
  int64_t threads = 0;
  std::string channels_last = "auto";
  std::string device = "cpu";
  std::string amp = "off";
  std::string json;
};

// 11173962 -> "11,173,962"
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

nlohmann::json spec_json(const models::ModelSpec& s) {
  return {{"name", s.name},   {"in_channels", s.in_channels}, {"image_size", s.image_size}, {"num_classes", s.num_classes},
          {"width", s.width}, {"depth", s.depth},             {"heads", s.heads},           {"mlp_dim", s.mlp_dim},
          {"patch", s.patch}, {"norm", s.norm},               {"dropout", s.dropout}};
}

void run_bench_train(const BenchArgs& args) {
  const std::vector<Preset> all = presets();
  std::vector<Preset> chosen;
  for (const auto& name : args.models) chosen.push_back(find_preset(all, name));
  const int64_t threads = resolve_threads(args.threads);

  // The command that reproduces this run, settings resolved (steps stay per preset unless given).
  std::string command = fmt::format("cwrf bench train --models {} --batch {} --repeats {} --threads {}",
                                    fmt::join(args.models, ","), args.batch, args.repeats, threads);
  if (args.steps) command += fmt::format(" --steps {}", *args.steps);
  if (args.warmup) command += fmt::format(" --warmup {}", *args.warmup);
  if (args.channels_last != "auto") command += " --channels-last " + args.channels_last;
  if (args.device != "cpu") command += " --device " + args.device;
  if (args.amp != "off") command += " --amp " + args.amp;
  const torch::Device device = parse_device(args.device, "--device " + args.device);

  // TORCH_VERSION is the headers' version: Debian's 1.13.1 package reports 1.13.0 (as does its torch.__version__).
  nlohmann::json report = {{"tool", "cwrf"},          {"version", CWRF_VERSION}, {"libtorch", TORCH_VERSION},
                           {"command", command},      {"batch_size", args.batch}, {"repeats", args.repeats},
                           {"threads", threads},      {"device", device.str()},   {"amp", args.amp},
                           {"results", nlohmann::json::array()}};
  std::cout << fmt::format("{:<10} {:>11}  {:<14} {:>5}  {:>18}  {:<13}  {:<6}  {}\n", "model", "params", "input", "steps",
                           "images/s (mean±sd)", "channels-last", "device", "amp");
  for (const auto& preset : chosen) {
    train::ThroughputOptions o;
    o.spec = preset.spec;
    o.batch_size = args.batch;
    o.warmup = args.warmup.value_or(preset.warmup);
    o.steps = args.steps.value_or(preset.steps);
    o.repeats = args.repeats;
    o.channels_last = args.channels_last == "auto" ? preset.conv : args.channels_last == "on";
    o.threads = threads;
    o.device = device;
    o.amp = train::parse_amp(args.amp);
    std::cerr << fmt::format("bench: {} (warm-up {} steps, then {} repetitions x {} steps; batch {}, {} threads, {}{})\n",
                             preset.name, o.warmup, o.repeats, o.steps, o.batch_size, threads, device.str(),
                             args.amp == "off" ? "" : ", amp " + args.amp);
    const train::ThroughputResult r = train::measure_train_throughput(o);
    const std::string input = fmt::format("{}", fmt::join(r.input_shape, "x"));
    std::cout << fmt::format("{:<10} {:>11}  {:<14} {:>5}  {:>18}  {:<13}  {:<6}  {}\n", preset.name, grouped(r.parameters),
                             input, o.steps, fmt::format("{:.1f} ± {:.1f}", r.mean, r.sd), r.channels_last ? "yes" : "no",
                             r.device, r.amp)
              << std::flush;
    report["results"].push_back({{"model", preset.name},
                                 {"spec", spec_json(r.spec)},
                                 {"parameters", r.parameters},
                                 {"input_shape", r.input_shape},
                                 {"batch_size", o.batch_size},
                                 {"warmup", o.warmup},
                                 {"steps", o.steps},
                                 {"repeats", o.repeats},
                                 {"threads", r.threads},
                                 {"channels_last", r.channels_last},
                                 {"device", r.device},
                                 {"amp", r.amp},
                                 {"images_per_second",
                                  {{"mean", r.mean}, {"sd", r.sd}, {"runs", r.images_per_second}}}});
  }
  if (!args.json.empty()) write_file_atomic(args.json, report.dump(2) + "\n");
}

struct RooflineArgs {
  std::vector<std::string> models = {"cnn-w16", "resnet18-w8", "vit"};
  int64_t batch = 128;
  int64_t threads = 1;
  std::string json;
};

void run_bench_roofline(const RooflineArgs& args) {
  const std::vector<Preset> all = presets();
  nlohmann::json report = {{"tool", "cwrf"}, {"version", CWRF_VERSION}, {"libtorch", TORCH_VERSION},
                           {"blas", blas::info().describe()}, {"batch_size", args.batch}, {"threads", args.threads},
                           {"results", nlohmann::json::array()}};
  std::cout << "| model | forward MFLOP/image (conv / linear / attention) | step images/s | achieved GFLOP/s | "
               "layer-kernel bound GFLOP/s | achieved / bound | GEMM 1024³ GFLOP/s | conv 3x3x64 GFLOP/s |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const std::string& name : args.models) {
    const Preset& preset = find_preset(all, name);
    train::ThroughputOptions o;
    o.spec = preset.spec;
    o.batch_size = args.batch;
    o.warmup = preset.warmup;
    o.steps = preset.steps;
    o.repeats = 3;
    o.channels_last = preset.conv;
    o.threads = args.threads;
    std::cerr << fmt::format("roofline: {} (batch {}, {} thread(s))\n", name, o.batch_size, o.threads);
    const train::Roofline r = train::measure_roofline(o);
    std::cout << fmt::format("| {} | {:.1f} ({:.1f} / {:.1f} / {:.1f}) | {:.0f} ± {:.0f} | {:.1f} | {:.1f} | {:.0f} % | {:.1f} | {:.1f} |\n",
                             name, r.flops.forward() / 1e6, r.flops.conv / 1e6, r.flops.linear / 1e6,
                             r.flops.attention / 1e6, r.step.mean, r.step.sd, r.achieved_gflops, r.layer_bound_gflops,
                             100.0 * r.achieved_gflops / r.layer_bound_gflops, r.gemm_peak_gflops, r.conv_peak_gflops)
              << std::flush;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : r.layers)
      layers.push_back({{"name", l.name}, {"kind", l.kind}, {"mflops", l.flops / 1e6}, {"gflops", l.gflops}});
    report["results"].push_back({{"model", name},
                                 {"spec", spec_json(r.step.spec)},
                                 {"forward_flops", r.flops.forward()},
                                 {"conv_flops", r.flops.conv},
                                 {"linear_flops", r.flops.linear},
                                 {"attention_flops", r.flops.attention},
                                 {"images_per_second", {{"mean", r.step.mean}, {"sd", r.step.sd}}},
                                 {"achieved_gflops", r.achieved_gflops},
                                 {"layer_bound_gflops", r.layer_bound_gflops},
                                 {"gemm_peak_gflops", r.gemm_peak_gflops},
                                 {"conv_peak_gflops", r.conv_peak_gflops},
                                 {"layers", layers}});
  }
  if (!args.json.empty()) write_file_atomic(args.json, report.dump(2) + "\n");
}

}  // namespace

void register_bench_command(CLI::App& app, int& exit_code) {
  auto* bench = app.add_subcommand("bench", "throughput figures");
  bench->require_subcommand(1);
  auto* train = bench->add_subcommand(
      "train", "images/s of a training step (zero_grad, forward, cross-entropy, backward, Adam) per model preset");
  auto args = std::make_shared<BenchArgs>();
  train->add_option("--models", args->models, fmt::format("comma-separated presets: {}", fmt::join(preset_names(), ", ")))
      ->delimiter(',')
      ->default_str("cnn,vit,vit-paper,resnet18");
  train->add_option("--batch", args->batch, "batch size")->check(at_least(1))->capture_default_str();
  train->add_option_function<int64_t>(
           "--steps", [args](const int64_t& v) { args->steps = v; },
           "timed steps per repetition, for every model (default: 20; 3 for resnet18, 2 for vit-paper)")
      ->check(at_least(1));
  train->add_option_function<int64_t>(
           "--warmup", [args](const int64_t& v) { args->warmup = v; },
           "untimed steps before timing, for every model (default: 3; 1 for resnet18 and vit-paper)")
      ->check(at_least(0));
  train->add_option("--repeats", args->repeats, "timed repetitions (mean ± sd over them)")
      ->check(at_least(1))
      ->capture_default_str();
  train->add_option("--threads", args->threads, "intra-op threads (0: all cores)")
      ->check(at_least(0))
      ->capture_default_str();
  train->add_option("--channels-last", args->channels_last, "NHWC convolutions (auto: on for cnn and resnet18)")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  train->add_option("--device", args->device, "cpu, cuda or cuda:N")->check(device_name())->capture_default_str();
  train->add_option("--amp", args->amp, "mixed precision of the forward pass (the amp key)")
      ->check(CLI::IsMember({"off", "bf16"}))
      ->capture_default_str();
  train->add_option("--json", args->json, "also write the results as JSON to FILE");
  train->footer(
      "Presets: cnn (default spec, 1x28x28), vit (default CPU preset, 1x28x28), vit-paper (width 512, depth 6,\n"
      "heads 8, mlp_dim 512, patch 4, 3x32x32), resnet18 (CIFAR form, width 64, 3x32x32), and the experiments'\n"
      "CPU models on 1x28x28: cnn-w16 (width 16), resnet18-w8 (width 8); 10 classes each.\n"
      "Inputs are one fixed random batch: the figure is the training step's, not data loading's.\n"
      "bench/train_throughput.sh runs this next to the same step in PyTorch (docs/performance.md).");
  train->callback([args, &exit_code] {
    run_bench_train(*args);
    exit_code = 0;
  });

  auto* roofline = bench->add_subcommand(
      "roofline", "FLOPs per image, achieved GFLOP/s of a training step, and the kernels' rates at its shapes");
  auto rargs = std::make_shared<RooflineArgs>();
  roofline->add_option("--models", rargs->models, fmt::format("comma-separated presets: {}", fmt::join(preset_names(), ", ")))
      ->delimiter(',')
      ->default_str("cnn-w16,resnet18-w8,vit");
  roofline->add_option("--batch", rargs->batch, "batch size")->check(at_least(1))->capture_default_str();
  roofline->add_option("--threads", rargs->threads, "intra-op threads")->check(at_least(1))->capture_default_str();
  roofline->add_option("--json", rargs->json, "also write the results (per layer too) as JSON to FILE");
  roofline->callback([rargs, &exit_code] {
    run_bench_roofline(*rargs);
    exit_code = 0;
  });
}

}  // namespace cwrf::app
