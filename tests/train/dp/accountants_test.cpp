// The accountant choice: each name is its accountant; the PRV noise search holds PRV's certified ε to
// the target and needs no more noise than the RDP search (PRV ε <= RDP ε); DP-SGD's dp.accountant
// drives both its noise search and its report.
#include "cwrf/train/dp/accountant.h"
#include "cwrf/train/dp/accountants.h"
#include "cwrf/train/dp/dpsgd.h"
#include "cwrf/train/dp/prv_accountant.h"
#include "cwrf/common/error.h"
#include "cwrf/job/keys.h"
#include "cwrf/train/objectives/registry.h"

#include <gtest/gtest.h>

#include <iostream>

namespace cwrf::train::dp {
namespace {

TEST(Accountants, NamesSelectTheirAccountant) {
  EXPECT_EQ(accountant_epsilon("rdp", 1.1, 0.01, 1000, 1e-5), epsilon(1.1, 0.01, 1000, 1e-5));
  EXPECT_EQ(accountant_epsilon("prv", 1.1, 0.01, 1000, 1e-5), prv_epsilon(1.1, 0.01, 1000, 1e-5).upper);
  EXPECT_LT(accountant_epsilon("prv", 1.1, 0.01, 1000, 1e-5), accountant_epsilon("rdp", 1.1, 0.01, 1000, 1e-5));
  EXPECT_THROW(accountant_epsilon("gdp", 1.1, 0.01, 1000, 1e-5), Error);
}

TEST(Accountants, PrvNoiseSearchMeetsTheTargetWithLessNoise) {
  const double q = 0.0256, delta = 1e-5;
  const int64_t steps = 390;
  for (double target : {1.0, 4.0, 8.0}) {
    const double rdp = accountant_noise_multiplier("rdp", target, q, steps, delta);
    const double prv = accountant_noise_multiplier("prv", target, q, steps, delta);
    const double eps = prv_epsilon(prv, q, steps, delta).upper;
    std::cout << "target " << target << ": sigma RDP " << rdp << ", PRV " << prv << " (PRV epsilon " << eps << ")\n";
    EXPECT_LE(eps, target);
    EXPECT_GE(eps, target - 0.01);
    EXPECT_LE(prv, rdp);
  }
}

TEST(Accountants, DpSgdUsesItsAccountant) {
  config::Config c(job::schema());
  c.set("defense", "dpsgd");
  c.set("dp.epsilon", 4.0);
  const StepContext context{10000, 256, 5, 40};
  const DpSgdOptions rdp = resolve_dpsgd_options(c, context);
  EXPECT_EQ(rdp.accountant, "rdp");
  EXPECT_FALSE(c.has("dp.accountant"));  // unset stays unset: existing models keep their hashes
  config::Config p(job::schema());
  p.set("defense", "dpsgd");
  p.set("dp.epsilon", 4.0);
  p.set("dp.accountant", "prv");
  const DpSgdOptions prv = resolve_dpsgd_options(p, context);
  EXPECT_EQ(prv.accountant, "prv");
  EXPECT_LT(prv.noise_multiplier, rdp.noise_multiplier);
  EXPECT_LE(prv_epsilon(prv.noise_multiplier, prv.sampling_rate, prv.planned_steps, prv.delta).upper, 4.0);
  // The step reports the ε of its accountant, and which one.
  auto step = make_dpsgd_step(prv);
  const auto r = step->report();
  EXPECT_EQ(r.at("accountant"), "prv");
  EXPECT_EQ(r.at("epsilon").get<double>(), 0.0);  // no step taken yet
  EXPECT_THROW(p.set("dp.accountant", "gdp"), Error);
}

}  // namespace
}  // namespace cwrf::train::dp
