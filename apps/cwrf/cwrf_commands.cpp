// `cwrf score`, `cwrf rewind` and `cwrf analyze ...`: CWRF on trained model directories
// and the weight-level analyses of the paper (Sec. 3, 4.2, 4.4).
#include "commands.h"
#include "job_progress.h"

#include "cwrf/analysis/correlation.h"
#include "cwrf/analysis/model_context.h"
#include "cwrf/analysis/pruning.h"
#include "cwrf/analysis/studies.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/experiment/analyses.h"
#include "cwrf/job/model_job.h"
#include "cwrf/models/weight_kinds.h"
#include "cwrf/weights/mask_ops.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace cwrf::app {

namespace {

namespace fs = std::filesystem;

struct ModelInputs {
  std::string model;
  ConfigInputs config;
};

void add_model_inputs(CLI::App& command, ModelInputs& inputs) {
  command.add_option("model_dir", inputs.model, "a trained model directory")->required();
  add_config_options(command, inputs.config);
}

std::vector<double> parse_list(const std::string& text, const char* option) {
  std::vector<double> values;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != item.size()) throw Error(fmt::format("{}: '{}' is not a number", option, item));
    values.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

// An analysis knob's default (experiment/analyses/<kind>.cpp): `cwrf analyze` and [[analysis]]
// tables share one table of knobs.
const config::Json& knob_default(const std::string& kind, const std::string& knob) {
  return experiment::analysis_schema(kind).find(kind + "." + knob)->default_value;
}

std::string list_text(const config::Json& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + fmt::format("{:g}", v.get<double>());
  return out;
}

analysis::ModelContext open_context(const ModelInputs& inputs) {
  return analysis::open_model_context(inputs.model, [&](config::Config& c) { apply_config_inputs(c, inputs.config); });
}

void write_and_print(const Table& table, const fs::path& stem, const std::string& title) {
  table.write(stem);
  std::cout << "## " << title << "\n\n" << table.to_markdown() << "\n";
  std::cout << "written: " << stem.string() << ".{csv,md,json}\n";
}

void register_score(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("score", "PVE (privacy vulnerability) or TFO (learnability) scores of a trained model");
  auto inputs = std::make_shared<ModelInputs>();
  auto method = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  add_model_inputs(*command, *inputs);
  command->add_option("--method", *method, "pve (Eq. 3-4) or tfo (Eq. 2): the same as --set cwrf.score=... (default: pve)")
      ->check(CLI::IsMember({"pve", "tfo"}));
  command->add_option("-o,--out", *out, "scores file (.pt, a dict of tensors; torch.load-able)")->required();
  command->callback([inputs, method, out, &exit_code] {
    // One way to say the method: --method is the shortcut of the key, so both at once is ambiguous.
    if (!method->empty()) {
      for (const std::string& a : inputs->config.assignments)
        if (a.rfind("cwrf.score=", 0) == 0)
          throw Error(fmt::format("--method {} and --set {} both choose the scoring method; give one", *method, a));
      inputs->config.shortcuts.push_back({"cwrf.score", *method, "--method"});
    }
    const analysis::ModelContext context = open_context(*inputs);
    const weights::ScoreMethod score_method = weights::parse_score_method(context.config.get_string("cwrf.score"));
    const weights::Scores scores = analysis::model_scores(context, score_method, fs::path(*out).parent_path() / "score-cache");
    weights::save_scores(*out, scores);
    // Where the top weights sit, per kind: a quick look at what r would select.
    models::ClassifierPtr model = job::load_model(context.dir, "final");
    const auto kinds = models::classify_weights(*model);
    Table table;
    table.columns = {"weight_type", "weights", "share", "score_mass", "in_top_1pct", "in_top_5pct"};
    const models::WeightMask top1 = weights::top_fraction(scores, 0.01), top5 = weights::top_fraction(scores, 0.05);
    std::map<std::string, std::array<double, 5>> rows;
    double total_weights = 0, total_mass = 0;
    for (const auto& [name, s] : scores) {
      auto& r = rows[models::to_string(kinds.at(name))];
      r[0] += s.numel();
      r[1] += s.sum().item<double>();
      r[2] += top1.at(name).sum().item<double>();
      r[3] += top5.at(name).sum().item<double>();
      total_weights += s.numel();
      total_mass += s.sum().item<double>();
    }
    for (const auto& [kind, r] : rows)
      table.add_row({kind, static_cast<int64_t>(r[0]), r[0] / total_weights, r[1] / total_mass,
                     r[2] / std::max(1.0, static_cast<double>(weights::count_true(top1))),
                     r[3] / std::max(1.0, static_cast<double>(weights::count_true(top5)))});
    fs::path stem = *out;
    stem.replace_extension("");
    stem += "-summary";
    write_and_print(table, stem, fmt::format("{} scores of {}", weights::to_string(score_method), context.dir.name()));
    std::cout << "scores: " << *out << "\n";
    exit_code = 0;
  });
}

void register_rewind(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "rewind", "CWRF on a trained model: score, select the top r, rewind them to θ_vn, freeze them, fine-tune the rest");
  auto inputs = std::make_shared<ModelInputs>();
  auto out = std::make_shared<std::string>();
  add_model_inputs(*command, *inputs);
  command->add_option("-o,--out", *out, "directory that receives the new model directory (default: the parent's)");
  command->footer(
      "Keys: cwrf.rate (r), cwrf.score (pve|tfo), cwrf.lambda, cwrf.iterations (T), cwrf.epochs (E), cwrf.mode\n"
      "(cwrf|remove|rewind-only|lottery), and the fine-tuning objective: --defense (e.g. relaxloss).\n"
      "Example: cwrf rewind runs/models/cnn-ce-m0-... --set cwrf.rate=0.05 --defense relaxloss");
  command->callback([inputs, out, &exit_code] {
    const job::ModelDir parent = job::open_model_dir(inputs->model);
    config::Config config = job::model_config(parent);
    apply_config_inputs(config, inputs->config);
    auto progress = std::make_shared<ProgressLine>();
    const fs::path root = out->empty() ? parent.path.parent_path() : fs::path(*out);
    const job::ModelJobResult result =
        job::run_model_job(config, root, parent.path, progress_callbacks(progress, config.get_int("cwrf.epochs")));
    progress->clear();
    std::cout << fmt::format("after rewinding: test_acc {:.4f}  train_acc {:.4f}  ({} of {} weights)\n",
                             result.metrics.at("rewound_test_acc").get<double>(),
                             result.metrics.at("rewound_train_acc").get<double>(),
                             result.metrics.at("selected_weights").get<int64_t>(),
                             result.metrics.at("total_weights").get<int64_t>());
    print_model_result(result);
    exit_code = 0;
  });
}

void register_analyze(CLI::App& app, int& exit_code) {
  auto* analyze = app.add_subcommand("analyze", "the paper's weight-level analyses on a trained model");
  analyze->require_subcommand(1);

  {
    auto* command = analyze->add_subcommand("correlation", "Pearson correlation of PVE and TFO scores, all weights and per kind (Table 1, Fig. 3)");
    auto inputs = std::make_shared<ModelInputs>();
    auto out = std::make_shared<std::string>();
    add_model_inputs(*command, *inputs);
    command->add_option("-o,--out", *out, "output directory")->required();
    command->callback([inputs, out, &exit_code] {
      const analysis::ModelContext context = open_context(*inputs);
      const fs::path dir = *out;
      const weights::Scores pve = analysis::model_scores(context, weights::ScoreMethod::Pve, dir / "scores");
      const weights::Scores tfo = analysis::model_scores(context, weights::ScoreMethod::Tfo, dir / "scores");
      models::ClassifierPtr model = job::load_model(context.dir, "final");
      const auto kinds = models::classify_weights(*model);
      const Table table = analysis::correlation_table(pve, tfo, kinds);
      analysis::plot_score_scatter(pve, tfo, kinds, dir);
      write_and_print(table, dir / "correlation", "PVE vs TFO scores (Pearson)");
      exit_code = 0;
    });
  }
  {
    auto* command = analyze->add_subcommand("pruning", "one-shot pruning of the lowest-TFO weights at several sparsities (Fig. 1)");
    auto inputs = std::make_shared<ModelInputs>();
    auto out = std::make_shared<std::string>();
    auto sparsities = std::make_shared<std::string>(list_text(knob_default("pruning", "sparsities")));
    auto options = std::make_shared<analysis::PruningOptions>();
    options->criterion = knob_default("pruning", "criterion").get<std::string>();
    add_model_inputs(*command, *inputs);
    command->add_option("--sparsities", *sparsities, "comma-separated fractions")->capture_default_str();
    command->add_option("--criterion", options->criterion, "lowest TFO score first (the paper), or smallest |w| (a control)")
        ->check(CLI::IsMember(analysis::pruning_criteria()))
        ->capture_default_str();
    command->add_flag("--recalibrate-norm", options->recalibrate_norm,
                      "re-estimate BatchNorm statistics on the members after pruning");
    command->add_option("-o,--out", *out, "output directory")->required();
    command->callback([inputs, out, sparsities, options, &exit_code] {
      const analysis::ModelContext context = open_context(*inputs);
      const fs::path dir = *out;
      const weights::Scores tfo = analysis::model_scores(context, weights::ScoreMethod::Tfo, dir / "scores");
      options->scope = context.config.get_string("cwrf.scope");
      const Table table = analysis::pruning_sweep(context, tfo, parse_list(*sparsities, "--sparsities"), *options);
      analysis::plot_pruning(table, dir);
      write_and_print(table, dir / "pruning", "one-shot TFO pruning");
      exit_code = 0;
    });
  }
  {
    auto* command = analyze->add_subcommand("lottery", "M1 / M2 / M3: pruned by TFO, rewound and retrained vs not (Fig. 4)");
    auto inputs = std::make_shared<ModelInputs>();
    auto out = std::make_shared<std::string>();
    auto sparsity = std::make_shared<double>(knob_default("lottery", "sparsity").get<double>());
    add_model_inputs(*command, *inputs);
    command->add_option("--sparsity", *sparsity, "fraction pruned (paper: 0.85)")->capture_default_str();
    command->add_option("-o,--out", *out, "output directory (retrained models go to <out>/models)")->required();
    command->callback([inputs, out, sparsity, &exit_code] {
      const analysis::ModelContext context = open_context(*inputs);
      const fs::path dir = *out;
      auto progress = std::make_shared<ProgressLine>();
      const Table table = analysis::lottery_study(context, *sparsity, dir / "models", dir,
                                                  progress_callbacks(progress, context.config.get_int("epochs")));
      progress->clear();
      write_and_print(table, dir / "lottery", "lottery study (M1, M2, M3)");
      exit_code = 0;
    });
  }
  {
    auto* command = analyze->add_subcommand("ablation", "A1 remove / A2 rewind-only / A3 CWRF over r, and from scratch (Fig. 5, Table 2)");
    auto inputs = std::make_shared<ModelInputs>();
    auto out = std::make_shared<std::string>();
    auto rates = std::make_shared<std::string>(list_text(knob_default("ablation", "rates")));
    add_model_inputs(*command, *inputs);
    command->add_option("--rates", *rates, "comma-separated fractions r")->capture_default_str();
    command->add_option("-o,--out", *out, "output directory (fine-tuned models go to <out>/models)")->required();
    command->footer("The fine-tuning objective is --defense (the paper uses relaxloss); it also trains the from-scratch baseline.");
    command->callback([inputs, out, rates, &exit_code] {
      const analysis::ModelContext context = open_context(*inputs);
      const fs::path dir = *out;
      auto progress = std::make_shared<ProgressLine>();
      const Table table = analysis::ablation_study(
          context, parse_list(*rates, "--rates"), [&](config::Config& c) { apply_config_inputs(c, inputs->config); },
          dir / "models", progress_callbacks(progress, context.config.get_int("cwrf.epochs")));
      progress->clear();
      analysis::plot_ablation(table, dir);
      write_and_print(table, dir / "ablation", "ablation A1 / A2 / A3");
      exit_code = 0;
    });
  }
}

}  // namespace

void register_cwrf_commands(CLI::App& app, int& exit_code) {
  register_score(app, exit_code);
  register_rewind(app, exit_code);
  register_analyze(app, exit_code);
}

}  // namespace cwrf::app
