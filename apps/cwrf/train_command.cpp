// `cwrf train`: one model from a config -> a content-addressed model directory.
#include "commands.h"

#include "cwrf/common/progress.h"
#include "cwrf/train/train_job.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
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
    config::Config config = build_config(*inputs);
    ProgressLine progress;
    const auto started = std::chrono::steady_clock::now();
    train::JobCallbacks callbacks;
    int64_t epochs = config.get_int("epochs");
    callbacks.log = [&](const std::string& line) {
      progress.clear();
      std::cerr << line << "\n";
    };
    callbacks.train.on_batch = [&](int64_t epoch, int64_t batch, int64_t batches, double loss) {
      const double done = (static_cast<double>(epoch) + static_cast<double>(batch + 1) / batches) / epochs;
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      progress.update(done, fmt::format("epoch {}/{} batch {}/{} loss {:.4f} | {} elapsed, {} left", epoch + 1,
                                        epochs, batch + 1, batches, loss, format_duration(elapsed),
                                        format_duration(elapsed / std::max(done, 1e-9) * (1.0 - done))));
    };
    callbacks.train.on_epoch = [&](const train::EpochRecord& r) {
      progress.clear();
      std::cerr << fmt::format("epoch {:>3}/{}  lr {:.2e}  train loss {:.4f} acc {:.4f}", r.epoch, epochs, r.lr,
                               r.train_loss, r.train_acc);
      if (std::isfinite(r.test_acc)) std::cerr << fmt::format("  test loss {:.4f} acc {:.4f}", r.test_loss, r.test_acc);
      std::cerr << fmt::format("  ({})\n", format_duration(r.seconds));
    };
    const train::TrainJobResult result = train::run_train_job(config, *out, callbacks);
    progress.clear();
    const auto& m = result.metrics;
    std::cout << fmt::format("test_acc {:.4f}  train_acc {:.4f}  test_loss {:.4f}  train_loss {:.4f}{}\n",
                             m.at("test_acc").get<double>(), m.at("train_acc").get<double>(),
                             m.at("test_loss").get<double>(), m.at("train_loss").get<double>(),
                             result.reused ? "  (existing model, not retrained)" : "");
    if (!result.reused)
      std::cout << fmt::format("trained in {} ({:.0f} images/s)\n", format_duration(m.at("train_seconds").get<double>()),
                               m.at("images_per_second").get<double>());
    std::cout << "model: " << result.dir.string() << "\n";
    exit_code = 0;
  });
}

}  // namespace cwrf::app
