// Where a training job's time goes, measured: LibTorch's RecordFunction callbacks time every
// ATen operator and autograd node, and cwrf's own phases (batching, forward, backward, optimiser
// step, evaluation) are user scopes around them. Self time (an operator's time minus the
// operators it called) is summed per operator and per category (convolution, GEMM, batch norm,
// activations, pooling, elementwise, copies, ...), with the time in no operator at all (the loop,
// dispatch, autograd bookkeeping) as the rest of the wall time. `profile = true` turns it on for
// a model job (model directory: profile.json, profile.md).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace cwrf::train {

// cwrf's phases, as user scopes (RECORD_USER_SCOPE) the profile attributes operators to.
constexpr const char* kScopeBatch = "cwrf::batch";          // batch assembly and augmentation
constexpr const char* kScopeForward = "cwrf::forward";      // model forward and the loss
constexpr const char* kScopeBackward = "cwrf::backward";    // loss.backward(), DP per-sample gradients
constexpr const char* kScopeOptimizer = "cwrf::optimizer";  // zero_grad and the Adam step
constexpr const char* kScopeEvaluate = "cwrf::evaluate";    // test-set evaluation between epochs

// The category of an ATen operator or autograd node by its name ("aten::mkldnn_convolution" ->
// "convolution (oneDNN)"); "other" when none applies.
std::string op_category(const std::string& name);

// Records while alive (at most one at a time); report() summarises what it saw.
class OpProfile {
 public:
  OpProfile();
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  // {"wall_seconds", "phases": {phase: seconds}, "categories": {category: seconds},
  //  "ops": [{"name", "category", "calls", "self_seconds", "total_seconds"}...] (by self time),
  //  "outside_ops_seconds"}
  nlohmann::json report() const;
  // The same as markdown tables (phases, categories, the top `top` operators).
  static std::string markdown(const nlohmann::json& report, int top = 25);

 private:
  std::chrono::steady_clock::time_point started_;
  uint64_t handle_ = 0;
};

}  // namespace cwrf::train
