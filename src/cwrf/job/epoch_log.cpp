#include "cwrf/job/epoch_log.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace cwrf::job {

namespace {

std::string json_line(const train::EpochRecord& r, const train::StepStrategy& step) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json line = {{"epoch", r.epoch},
                         {"lr", r.lr},
                         {"train_loss", number(r.train_loss)},
                         {"train_acc", number(r.train_acc)},
                         {"test_loss", number(r.test_loss)},
                         {"test_acc", number(r.test_acc)},
                         {"seconds", r.seconds}};
  const nlohmann::json report = step.report();
  for (const auto& [key, value] : report.items()) line[key] = value;
  return line.dump();
}

}  // namespace

EpochLog::EpochLog(const std::filesystem::path& path, const train::StepStrategy& step)
    : path_(path), out_(std::make_shared<std::ofstream>(path)), step_(&step) {
  if (!*out_) throw Error(fmt::format("cannot create {}", path.string()));
}

train::TrainCallbacks EpochLog::wrap(const train::TrainCallbacks& callbacks) {
  train::TrainCallbacks wrapped = callbacks;
  wrapped.on_epoch = [out = out_, path = path_, step = step_, inner = callbacks.on_epoch](const train::EpochRecord& r) {
    *out << json_line(r, *step) << "\n" << std::flush;
    if (!*out) throw Error(fmt::format("cannot write {}", path.string()));
    if (inner) inner(r);
  };
  return wrapped;
}

}  // namespace cwrf::job
