#include "job_progress.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace cwrf::app {

job::JobCallbacks progress_callbacks(const std::shared_ptr<ProgressLine>& progress, int64_t epochs) {
  auto started = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  job::JobCallbacks callbacks;
  callbacks.log = [progress, started](const std::string& line) {
    progress->clear();
    std::cerr << line << "\n";
    *started = std::chrono::steady_clock::now();  // a new phase: estimate its own remaining time
  };
  callbacks.train.on_batch = [progress, started, epochs](int64_t epoch, int64_t batch, int64_t batches, double loss) {
    const double done = (static_cast<double>(epoch) + static_cast<double>(batch + 1) / batches) / std::max<int64_t>(epochs, 1);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - *started).count();
    progress->update(done, fmt::format("epoch {}/{} batch {}/{} loss {:.4f} | {} elapsed, {} left", epoch + 1, epochs,
                                       batch + 1, batches, loss, format_duration(elapsed),
                                       format_duration(elapsed / std::max(done, 1e-9) * (1.0 - done))));
  };
  callbacks.train.on_epoch = [progress, epochs](const train::EpochRecord& r) {
    progress->clear();
    std::cerr << fmt::format("epoch {:>3}/{}  lr {:.2e}  train loss {:.4f} acc {:.4f}", r.epoch, epochs, r.lr,
                             r.train_loss, r.train_acc);
    if (std::isfinite(r.test_acc)) std::cerr << fmt::format("  test loss {:.4f} acc {:.4f}", r.test_loss, r.test_acc);
    std::cerr << fmt::format("  ({})\n", format_duration(r.seconds));
  };
  return callbacks;
}

void print_model_result(const job::ModelJobResult& result) {
  const auto& m = result.metrics;
  std::cout << fmt::format("test_acc {:.4f}  train_acc {:.4f}  test_loss {:.4f}  train_loss {:.4f}{}\n",
                           m.at("test_acc").get<double>(), m.at("train_acc").get<double>(),
                           m.at("test_loss").get<double>(), m.at("train_loss").get<double>(),
                           result.reused ? "  (existing model, not retrained)" : "");
  if (!result.reused && m.contains("train_seconds") && m.at("train_seconds").get<double>() > 0)
    std::cout << fmt::format("trained in {} ({:.0f} images/s)\n", format_duration(m.at("train_seconds").get<double>()),
                             m.at("images_per_second").get<double>());
  std::cout << "model: " << result.dir.string() << "\n";
}

}  // namespace cwrf::app
