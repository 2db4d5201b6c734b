#include "cwrf/attack/statistics.h"

#include "cwrf/common/error.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace cwrf::attack {

namespace {

// log Σ_{j ∈ row, j ≠ skip} e^{z_j}; skip < 0 keeps every entry.
double logsumexp(const double* z, int64_t classes, int64_t skip = -1) {
  double peak = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < classes; ++j)
    if (j != skip) peak = std::max(peak, z[j]);
  if (!std::isfinite(peak)) return peak;
  double sum = 0.0;
  for (int64_t j = 0; j < classes; ++j)
    if (j != skip) sum += std::exp(z[j] - peak);
  return peak + std::log(sum);
}

struct Inputs {
  torch::Tensor logits;  // float64 contiguous [M, N, Q, C]
  torch::Tensor labels;  // int64 contiguous [N]
  int64_t models, examples, queries, classes;
};

Inputs check_inputs(const torch::Tensor& logits, const torch::Tensor& labels) {
  require(logits.defined() && logits.dim() == 4,
          "attack statistics: logits must be [models, examples, queries, classes]");
  require(labels.defined() && labels.dim() == 1 && labels.size(0) == logits.size(1),
          fmt::format("attack statistics: labels must be [examples] = [{}]", logits.size(1)));
  Inputs in{logits.to(torch::kFloat64).contiguous(), labels.to(torch::kLong).contiguous(), logits.size(0),
            logits.size(1), logits.size(2), logits.size(3)};
  require(in.classes >= 2, "attack statistics: need at least 2 classes");
  const auto* y = in.labels.data_ptr<int64_t>();
  for (int64_t n = 0; n < in.examples; ++n)
    require(y[n] >= 0 && y[n] < in.classes,
            fmt::format("attack statistics: label {} of example {} is outside [0, {})", y[n], n, in.classes));
  return in;
}

// One value per (model, example, query) from that row's logits and true label: `signal(z, classes, y)`.
template <typename RowSignal>
SignalArray map_rows(const torch::Tensor& logits, const torch::Tensor& labels, const RowSignal& signal) {
  const Inputs in = check_inputs(logits, labels);
  SignalArray out(in.models, in.examples, in.queries);
  const double* z = in.logits.data_ptr<double>();
  const int64_t* y = in.labels.data_ptr<int64_t>();
  for (int64_t row = 0; row < in.models * in.examples; ++row)
    for (int64_t q = 0; q < in.queries; ++q) {
      const size_t i = static_cast<size_t>(row * in.queries + q);
      out.values[i] = signal(z + i * in.classes, in.classes, y[row % in.examples]);
    }
  return out;
}

}  // namespace

RowStatistics row_statistics(const double* z, int64_t classes, int64_t y) {
  RowStatistics s;
  const double lse = logsumexp(z, classes);
  const double lse_other = logsumexp(z, classes, y);  // log Σ_{j≠y} e^{z_j}
  const double log_py = z[y] - lse;
  const double log_not_py = lse_other - lse;  // log(1 − p_y), exact even when p_y ≈ 1
  s.logit_scaled = z[y] - lse_other;
  s.loss = -log_py;
  s.confidence = std::exp(log_py);
  double entropy = 0.0, mentr = -std::exp(log_not_py) * log_py;
  for (int64_t i = 0; i < classes; ++i) {
    const double log_p = z[i] - lse;
    const double p = std::exp(log_p);
    if (p > 0.0) entropy -= p * log_p;
    if (i == y || p == 0.0) continue;
    // log(1 − p_i): log1p is exact for small p; above 1/2 (one class at most) use the
    // complementary log-sum-exp, which does not cancel.
    const double log_not_p = p < 0.5 ? std::log1p(-p) : logsumexp(z, classes, i) - lse;
    mentr -= p * log_not_p;
  }
  s.entropy = entropy;
  s.modified_entropy = mentr;
  return s;
}

double row_log_rmia_signal(const double* z, int64_t classes, int64_t y, double temperature, double margin) {
  // u = z/T with the margin taken off the true class; log s = u_y − logsumexp(u).
  double peak = -std::numeric_limits<double>::infinity();
  auto scaled = [&](int64_t j) { return z[j] / temperature - (j == y ? margin : 0.0); };
  for (int64_t j = 0; j < classes; ++j) peak = std::max(peak, scaled(j));
  double sum = 0.0;
  for (int64_t j = 0; j < classes; ++j) sum += std::exp(scaled(j) - peak);
  return scaled(y) - (peak + std::log(sum));
}

double taylor_exp(double x, int64_t order) {
  // signals.py get_taylor: power = x, taylor = 1 + x, then for i in 2..n−1: power *= x, taylor += power/i!.
  double power = x, taylor = x + 1.0, factorial = 1.0;
  for (int64_t i = 2; i < order; ++i) {
    power *= x;
    factorial *= static_cast<double>(i);
    taylor += power / factorial;
  }
  return taylor;
}

double row_rmia_taylor_signal(const double* z, int64_t classes, int64_t y, double temperature, double margin,
                              int64_t order) {
  // signals.py convert_signals "taylor-soft-margin": every class's Taylor term of z/T, the true
  // class's replaced by the term of z_y/T − m, and the true class's share of the sum.
  double sum = 0.0;
  for (int64_t j = 0; j < classes; ++j)
    if (j != y) sum += taylor_exp(z[j] / temperature, order);
  const double own = taylor_exp(z[y] / temperature - margin, order);
  return own / (sum + own);
}

Statistics compute_statistics(const torch::Tensor& logits, const torch::Tensor& labels) {
  const Inputs in = check_inputs(logits, labels);
  Statistics out;
  for (SignalArray* a : {&out.logit_scaled, &out.loss, &out.confidence, &out.entropy, &out.modified_entropy})
    *a = SignalArray(in.models, in.examples, in.queries);
  const double* z = in.logits.data_ptr<double>();
  const int64_t* y = in.labels.data_ptr<int64_t>();
  at::parallel_for(0, in.models * in.examples, 256, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row % in.examples;
      for (int64_t q = 0; q < in.queries; ++q) {
        const size_t i = static_cast<size_t>(row * in.queries + q);
        const RowStatistics s = row_statistics(z + i * in.classes, in.classes, y[n]);
        out.logit_scaled.values[i] = s.logit_scaled;
        out.loss.values[i] = s.loss;
        out.confidence.values[i] = s.confidence;
        out.entropy.values[i] = s.entropy;
        out.modified_entropy.values[i] = s.modified_entropy;
      }
    }
  });
  return out;
}

SignalArray compute_log_rmia_signal(const torch::Tensor& logits, const torch::Tensor& labels, double temperature,
                                    double margin) {
  require(temperature > 0.0, fmt::format("--rmia-temperature must be > 0, got {}", temperature));
  return map_rows(logits, labels, [&](const double* z, int64_t classes, int64_t y) {
    return row_log_rmia_signal(z, classes, y, temperature, margin);
  });
}

SignalArray compute_rmia_taylor_signal(const torch::Tensor& logits, const torch::Tensor& labels, double temperature,
                                       double margin, int64_t order) {
  require(temperature > 0.0, fmt::format("--rmia-temperature must be > 0, got {}", temperature));
  require(order >= 1, fmt::format("--rmia-taylor-order must be >= 1, got {}", order));
  return map_rows(logits, labels, [&](const double* z, int64_t classes, int64_t y) {
    return row_rmia_taylor_signal(z, classes, y, temperature, margin, order);
  });
}

}  // namespace cwrf::attack
