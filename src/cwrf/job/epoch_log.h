// log.jsonl of a model directory: one JSON object per training epoch, written as the epoch
// ends (so a killed job leaves the epochs it finished), with the step strategy's report on
// every line (DP-SGD: the ε spent so far), for training from scratch and fine-tuning alike.
#pragma once

#include "cwrf/train/step.h"
#include "cwrf/train/trainer.h"

#include <filesystem>
#include <fstream>
#include <memory>

namespace cwrf::job {

class EpochLog {
 public:
  EpochLog(const std::filesystem::path& path, const train::StepStrategy& step);
  // The caller's callbacks with the log line written before its on_epoch.
  train::TrainCallbacks wrap(const train::TrainCallbacks& callbacks);

 private:
  std::filesystem::path path_;
  std::shared_ptr<std::ofstream> out_;
  const train::StepStrategy* step_;
};

}  // namespace cwrf::job
