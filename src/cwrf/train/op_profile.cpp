#include "cwrf/train/op_profile.h"

#include "cwrf/common/error.h"

#include <ATen/record_function.h>
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace cwrf::train {

namespace {

using Clock = std::chrono::steady_clock;

struct OpTotals {
  int64_t calls = 0;
  double self = 0.0, total = 0.0;
};

struct Frame {
  const char* name;
  Clock::time_point start;
  double children = 0.0;  // seconds spent in operators it called
  bool user_scope;
};

// The callbacks are plain function pointers: their state is global (one profile at a time) and
// per thread (the stack of open operators).
std::mutex g_mutex;
std::map<std::string, OpTotals> g_ops;           // by operator / autograd node name
std::map<std::string, double> g_phase_seconds;   // by user scope, inclusive
std::map<std::string, std::map<std::string, double>> g_phase_ops;  // self seconds by phase and operator
bool g_active = false;
thread_local std::vector<Frame> t_stack;

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  t_stack.push_back({fn.name(), Clock::now(), 0.0, fn.scope() == at::RecordScope::USER_SCOPE});
  return nullptr;
}

void on_end(const at::RecordFunction&, at::ObserverContext*) {
  if (t_stack.empty()) return;
  const Frame frame = t_stack.back();
  t_stack.pop_back();
  const double total = std::chrono::duration<double>(Clock::now() - frame.start).count();
  // A user scope is a phase, not an operator: its time is not taken from its parent's self time.
  std::lock_guard<std::mutex> lock(g_mutex);
  if (frame.user_scope) {
    g_phase_seconds[frame.name] += total;
    return;
  }
  for (auto it = t_stack.rbegin(); it != t_stack.rend(); ++it)
    if (!it->user_scope) {
      it->children += total;
      break;
    }
  OpTotals& op = g_ops[frame.name];
  ++op.calls;
  op.self += total - frame.children;
  const char* phase = "(no phase)";
  for (auto it = t_stack.rbegin(); it != t_stack.rend(); ++it)
    if (it->user_scope) {
      phase = it->name;
      break;
    }
  g_phase_ops[phase][frame.name] += total - frame.children;
  // Nested calls of the same operator would count twice in `total`: only the outermost does.
  bool nested = false;
  for (const Frame& f : t_stack)
    if (!f.user_scope && std::string(f.name) == frame.name) nested = true;
  if (!nested) op.total += total;
}

bool has(const std::string& name, std::initializer_list<const char*> parts) {
  for (const char* p : parts)
    if (name.find(p) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string op_category(const std::string& name) {
  if (name.rfind("autograd::engine::evaluate_function", 0) == 0) return "autograd bookkeeping";
  if (has(name, {"convolution", "conv2d", "mkldnn_conv", "Convolution"})) return "convolution (oneDNN)";
  if (has(name, {"addmm", "aten::mm", "aten::bmm", "aten::matmul", "aten::linear", "baddbmm", "MmBackward",
                 "BmmBackward", "AddmmBackward", "aten::einsum"}))
    return "GEMM (OpenBLAS)";
  if (has(name, {"batch_norm", "BatchNorm", "group_norm", "GroupNorm", "layer_norm", "LayerNorm"})) return "normalisation";
  if (has(name, {"relu", "threshold", "gelu", "Relu", "Gelu", "softmax", "Softmax", "tanh", "clamp_min"}))
    return "activations";
  if (has(name, {"pool", "Pool"})) return "pooling";
  if (has(name, {"nll_loss", "cross_entropy", "log_softmax", "NllLoss", "LogSoftmax", "kl_div"})) return "loss";
  if (has(name, {"aten::copy_", "aten::contiguous", "aten::to", "aten::clone", "aten::_to_copy", "aten::empty",
                 "aten::zero_", "aten::fill_", "aten::zeros", "aten::cat", "aten::index", "aten::flip",
                 "aten::constant_pad", "aten::narrow", "aten::slice", "aten::select", "aten::permute",
                 "aten::transpose", "aten::view", "aten::reshape", "aten::as_strided", "aten::t",
                 "aten::expand", "aten::unsqueeze", "aten::squeeze", "aten::flatten", "aten::detach",
                 "aten::resize_", "aten::stride", "aten::alias", "aten::unfold"}))
    return "copies and views";
  if (has(name, {"aten::add", "aten::mul", "aten::div", "aten::sub", "aten::addcmul", "aten::addcdiv",
                 "aten::sqrt", "aten::lerp", "aten::where", "aten::masked", "aten::sum", "aten::mean",
                 "aten::pow", "aten::exp", "aten::log", "aten::neg", "aten::abs",
                 "aten::eq", "aten::argmax", "aten::max", "aten::item", "aten::_local_scalar_dense",
                 "aten::rsub", "aten::ones_like", "aten::sign", "aten::norm"}))
    return "elementwise and reductions";
  if (has(name, {"dropout", "Dropout", "bernoulli"})) return "dropout";
  return "other";
}

OpProfile::OpProfile() : started_(Clock::now()) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_active) throw Error("OpProfile: a profile is already recording");
  g_active = true;
  g_ops.clear();
  g_phase_seconds.clear();
  g_phase_ops.clear();
  handle_ = at::addGlobalCallback(
      at::RecordFunctionCallback(&on_start, &on_end)
          .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION, at::RecordScope::USER_SCOPE}));
}

OpProfile::~OpProfile() {
  at::removeCallback(handle_);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_active = false;
}

nlohmann::json OpProfile::report() const {
  std::lock_guard<std::mutex> lock(g_mutex);
  const double wall = std::chrono::duration<double>(Clock::now() - started_).count();
  std::vector<std::pair<std::string, OpTotals>> ops(g_ops.begin(), g_ops.end());
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second.self > b.second.self; });
  std::map<std::string, double> categories;
  double in_ops = 0.0;
  nlohmann::json op_rows = nlohmann::json::array();
  for (const auto& [name, t] : ops) {
    const std::string category = op_category(name);
    categories[category] += t.self;
    in_ops += t.self;
    op_rows.push_back({{"name", name}, {"category", category}, {"calls", t.calls}, {"self_seconds", t.self},
                       {"total_seconds", t.total}});
  }
  nlohmann::json phase_categories = nlohmann::json::object();
  for (const auto& [phase, by_op] : g_phase_ops) {
    std::map<std::string, double> cats;
    for (const auto& [name, self] : by_op) cats[op_category(name)] += self;
    phase_categories[phase] = cats;
  }
  return {{"wall_seconds", wall},
          {"phases", g_phase_seconds},
          {"phase_categories", phase_categories},
          {"categories", categories},
          {"outside_ops_seconds", std::max(0.0, wall - in_ops)},
          {"ops", op_rows}};
}

std::string OpProfile::markdown(const nlohmann::json& r, int top) {
  const double wall = r.at("wall_seconds").get<double>();
  auto share = [&](double s) { return wall > 0 ? 100.0 * s / wall : 0.0; };
  std::string md = fmt::format("Wall time profiled: {:.2f} s (LibTorch RecordFunction; self time per operator).\n\n", wall);
  md += "| phase (inclusive) | seconds | share |\n|---|---:|---:|\n";
  for (const auto& [phase, s] : r.at("phases").items())
    md += fmt::format("| {} | {:.3f} | {:.1f} % |\n", phase, s.get<double>(), share(s.get<double>()));
  std::vector<std::pair<std::string, double>> cats;
  for (const auto& [c, s] : r.at("categories").items()) cats.push_back({c, s.get<double>()});
  cats.push_back({"outside any operator (loop, dispatch, callbacks)", r.at("outside_ops_seconds").get<double>()});
  std::sort(cats.begin(), cats.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  md += "\n| category (self time) | seconds | share |\n|---|---:|---:|\n";
  for (const auto& [c, s] : cats) md += fmt::format("| {} | {:.3f} | {:.1f} % |\n", c, s, share(s));
  md += "\n| phase | category (self time) | seconds | share |\n|---|---|---:|---:|\n";
  for (const auto& [phase, cats_of] : r.at("phase_categories").items()) {
    std::vector<std::pair<std::string, double>> rows;
    for (const auto& [c, sec] : cats_of.items()) rows.push_back({c, sec.get<double>()});
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [c, sec] : rows)
      if (share(sec) >= 0.5) md += fmt::format("| {} | {} | {:.3f} | {:.1f} % |\n", phase, c, sec, share(sec));
  }
  md += "\n| operator | category | calls | self s | share |\n|---|---|---:|---:|---:|\n";
  int n = 0;
  for (const auto& op : r.at("ops")) {
    if (n++ >= top) break;
    const double s = op.at("self_seconds").get<double>();
    md += fmt::format("| {} | {} | {} | {:.3f} | {:.1f} % |\n", op.at("name").get<std::string>(),
                      op.at("category").get<std::string>(), op.at("calls").get<int64_t>(), s, share(s));
  }
  return md;
}

}  // namespace cwrf::train
