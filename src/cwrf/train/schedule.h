// Learning-rate schedules, evaluated per optimisation step.
#pragma once

#include <cstdint>
#include <string>

namespace cwrf::train {

// Cosine annealing over all steps (Loshchilov & Hutter 2017), as PyTorch's
// CosineAnnealingLR(T_max = total_steps, eta_min = 0) stepped after every batch:
// lr(t) = lr0 · (1 + cos(π t / T)) / 2 for the t-th step (t = 0, 1, ...). The paper trains
// with it, and CWRF's fine-tuning restarts it at lr0 ("learning-rate rewinding", Sec. 4.3).
double cosine_lr(double lr0, int64_t step, int64_t total_steps);

// "cosine" or "constant"; throws Error naming `lr_schedule` for anything else.
double scheduled_lr(const std::string& schedule, double lr0, int64_t step, int64_t total_steps);

}  // namespace cwrf::train
