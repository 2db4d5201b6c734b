// `cwrf train`: one model from a config -> a content-addressed model directory.
#include "commands.h"
#include "job_progress.h"

#include "cwrf/job/model_job.h"

#include <memory>

namespace cwrf::app {

void register_train_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("train", "train one model (objective, epochs, seed, data, split) into a model directory");
  auto inputs = std::make_shared<ConfigInputs>();
  auto out = std::make_shared<std::string>("runs/models");
  add_config_options(*command, *inputs);
  command->add_option("-o,--out", *out, "directory that receives the model directory")->capture_default_str();
  command->footer(
      "Example (a CPU-preset CNN on 10,000 Fashion-MNIST images):\n"
      "  cwrf train --config configs/train-fashion-mnist.toml\n"
      "Prints test_acc / train_acc and the model directory; `cwrf config keys` lists every key.");
  command->callback([inputs, out, &exit_code] {
    const config::Config config = build_config(*inputs);
    auto progress = std::make_shared<ProgressLine>();
    const job::ModelJobResult result =
        job::run_model_job(config, *out, {}, progress_callbacks(progress, config.get_int("epochs")));
    progress->clear();
    print_model_result(result);
    exit_code = 0;
  });
}

}  // namespace cwrf::app
