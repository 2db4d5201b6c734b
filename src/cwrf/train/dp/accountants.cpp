#include "cwrf/train/dp/accountants.h"

#include "cwrf/common/error.h"
#include "cwrf/train/dp/accountant.h"
#include "cwrf/train/dp/prv_accountant.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace cwrf::train::dp {

namespace {

void check_name(const std::string& accountant) {
  for (const std::string& name : accountant_names())
    if (name == accountant) return;
  throw Error(fmt::format("unknown accountant '{}'; known: rdp, prv", accountant));
}

}  // namespace

const std::vector<std::string>& accountant_names() {
  static const std::vector<std::string> names = {"rdp", "prv"};
  return names;
}

double accountant_epsilon(const std::string& accountant, double sigma, double q, int64_t steps, double delta) {
  check_name(accountant);
  if (accountant == "rdp") return epsilon(sigma, q, steps, delta);
  return prv_epsilon(sigma, q, steps, delta).upper;
}

double accountant_noise_multiplier(const std::string& accountant, double target_epsilon, double q, int64_t steps,
                                   double delta, double tolerance) {
  check_name(accountant);
  if (accountant == "rdp") return noise_multiplier_for(target_epsilon, q, steps, delta, tolerance);
  return noise_multiplier_for(target_epsilon, q, steps, delta, tolerance, [&](double sigma) {
    // Where even the RDP bound is huge the loss is too large to compose numerically (prv_accountant.h
    // refuses beyond 700); such a σ is far too small for any realistic target.
    if (epsilon(sigma, q, steps, delta) > 600.0) return std::numeric_limits<double>::infinity();
    return prv_epsilon(sigma, q, steps, delta).upper;
  });
}

}  // namespace cwrf::train::dp
