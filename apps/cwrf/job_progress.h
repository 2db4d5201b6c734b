// Progress and log lines on stderr for commands that train models (train, rewind, analyze).
#pragma once

#include "cwrf/common/progress.h"
#include "cwrf/job/model_job.h"

#include <chrono>
#include <memory>

namespace cwrf::app {

// Callbacks that draw a progress line (epoch, batch, loss, elapsed, remaining) and print a
// line per epoch. `epochs` is the length of each training run the callbacks will see.
job::JobCallbacks progress_callbacks(const std::shared_ptr<ProgressLine>& progress, int64_t epochs);

// "test_acc 0.8893  train_acc ..." and the model directory, on stdout.
void print_model_result(const job::ModelJobResult& result);

}  // namespace cwrf::app
