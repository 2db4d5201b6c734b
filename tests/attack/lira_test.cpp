// LiRA against a direct re-computation, on separable and random signals, and its errors.
#include "cwrf/attack/lira.h"
#include "cwrf/attack/roc.h"
#include "cwrf/common/error.h"
#include "synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace cwrf::attack {
namespace {

using testing::lira_membership;
using testing::noisy_signal;

double log_pdf(double x, double mu, double sd) {
  return -0.5 * std::log(2 * M_PI * sd * sd) - (x - mu) * (x - mu) / (2 * sd * sd);
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double sd_of(const std::vector<double>& v) {
  double mean = 0, ss = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size()));
}

// The groups as the protocol defines them: the first c IN and first c' OUT shadows per example,
// c and c' the smallest counts over examples.
struct Groups {
  std::vector<std::vector<std::vector<double>>> in, out;  // [example][query][k]
};

Groups groups(const SignalArray& phi, const MembershipMask& m, int64_t target) {
  int64_t c_in = 1 << 30, c_out = 1 << 30;
  for (int64_t n = 0; n < m.examples; ++n) {
    int64_t i = 0, o = 0;
    for (int64_t k = 0; k < m.models; ++k)
      if (k != target) (m(k, n) ? i : o)++;
    c_in = std::min(c_in, i);
    c_out = std::min(c_out, o);
  }
  Groups g;
  g.in.resize(m.examples);
  g.out.resize(m.examples);
  for (int64_t n = 0; n < m.examples; ++n) {
    g.in[n].resize(phi.queries);
    g.out[n].resize(phi.queries);
    for (int64_t q = 0; q < phi.queries; ++q)
      for (int64_t k = 0; k < m.models; ++k) {
        if (k == target) continue;
        auto& dst = m(k, n) ? g.in[n][q] : g.out[n][q];
        if (static_cast<int64_t>(dst.size()) < (m(k, n) ? c_in : c_out)) dst.push_back(phi(k, n, q));
      }
  }
  return g;
}

std::vector<double> auc_scores(const SignalArray& phi, const MembershipMask& m, const LiraOptions& o) {
  return lira_scores(phi, split_shadows(m, 0), o);
}

double auc_of(const std::vector<double>& scores, const MembershipMask& m) {
  std::vector<uint8_t> member(m.examples);
  for (int64_t n = 0; n < m.examples; ++n) member[n] = m(0, n);
  return roc_auc(roc_curve(scores, member));
}

TEST(Lira, MatchesDirectRecomputation) {
  const MembershipMask m = lira_membership(9, 40, 1);
  const SignalArray phi = noisy_signal(m, 2, 1.0, 1.5, 1.0, 2);
  const Groups g = groups(phi, m, 0);
  const std::vector<double> online = lira_scores(phi, split_shadows(m, 0), {true, false});
  const std::vector<double> offline = lira_scores(phi, split_shadows(m, 0), {false, false});
  for (int64_t n = 0; n < m.examples; ++n) {
    double on = 0, off = 0;
    for (int64_t q = 0; q < 2; ++q) {
      const double x = phi(0, n, q);
      const double mi = median_of(g.in[n][q]), mo = median_of(g.out[n][q]);
      const double si = sd_of(g.in[n][q]), so = sd_of(g.out[n][q]);
      on += log_pdf(x, mi, si) - log_pdf(x, mo, so);
      off += -std::log(0.5 * std::erfc((x - mo) / so / std::sqrt(2.0)));
    }
    EXPECT_NEAR(online[n], on / 2, 1e-9) << n;
    EXPECT_NEAR(offline[n], off / 2, 1e-9) << n;
  }
}

TEST(Lira, FixedVarianceUsesThePooledWithinGroupVariance) {
  const MembershipMask m = lira_membership(8, 30, 3);
  const SignalArray phi = noisy_signal(m, 2, 0.0, 2.0, 0.7, 4);
  const Groups g = groups(phi, m, 0);
  double ss_both = 0, n_both = 0, ss_out = 0, n_out = 0;
  auto add = [](const std::vector<double>& v, double& ss, double& count) {
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    for (double x : v) ss += (x - mean) * (x - mean);
    count += static_cast<double>(v.size());
  };
  for (int64_t n = 0; n < m.examples; ++n)
    for (int64_t q = 0; q < 2; ++q) {
      add(g.in[n][q], ss_both, n_both);
      add(g.out[n][q], ss_both, n_both);
      add(g.out[n][q], ss_out, n_out);
    }
  const double s_online = std::sqrt(ss_both / n_both), s_offline = std::sqrt(ss_out / n_out);
  const auto online = lira_scores(phi, split_shadows(m, 0), {true, true});
  const auto offline = lira_scores(phi, split_shadows(m, 0), {false, true});
  for (int64_t n = 0; n < m.examples; ++n) {
    double on = 0, off = 0;
    for (int64_t q = 0; q < 2; ++q) {
      const double x = phi(0, n, q);
      on += log_pdf(x, median_of(g.in[n][q]), s_online) - log_pdf(x, median_of(g.out[n][q]), s_online);
      off += -std::log(0.5 * std::erfc((x - median_of(g.out[n][q])) / s_offline / std::sqrt(2.0)));
    }
    EXPECT_NEAR(online[n], on / 2, 1e-9);
    EXPECT_NEAR(offline[n], off / 2, 1e-9);
  }
}

TEST(Lira, SeparableSignalsGiveAucOne) {
  const MembershipMask m = lira_membership(9, 400, 5);
  const SignalArray phi = noisy_signal(m, 2, 0.0, 3.0, 0.1, 6);
  for (const LiraOptions o : {LiraOptions{true, false}, LiraOptions{true, true}, LiraOptions{false, false},
                              LiraOptions{false, true}})
    EXPECT_DOUBLE_EQ(auc_of(auc_scores(phi, m, o), m), 1.0) << lira_variant(o);
}

TEST(Lira, RandomSignalsGiveAucNearOneHalfOverSeeds) {
  for (const LiraOptions o : {LiraOptions{true, false}, LiraOptions{false, true}}) {
    double total = 0;
    const int seeds = 20;
    for (int s = 0; s < seeds; ++s) {
      const MembershipMask m = lira_membership(9, 1000, 100 + s);
      const SignalArray phi = noisy_signal(m, 2, 0.0, 0.0, 1.0, 200 + s);
      const double auc = auc_of(auc_scores(phi, m, o), m);
      EXPECT_NEAR(auc, 0.5, 0.07) << lira_variant(o) << " seed " << s;
      total += auc;
    }
    EXPECT_NEAR(total / seeds, 0.5, 0.02) << lira_variant(o);
  }
}

TEST(Lira, TooFewShadowsAreClearErrors) {
  // K = 2: the target's members are IN for no other model.
  MembershipMask m = lira_membership(2, 10, 1);
  SignalArray phi = noisy_signal(m, 1, 0, 1, 1, 1);
  try {
    lira_scores(phi, split_shadows(m, 0), {true, false});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("IN shadow"), std::string::npos) << e.what();
  }
  // K = 4: one IN and one OUT shadow per example after equalising: no variance to estimate.
  m = lira_membership(4, 10, 1);
  phi = noisy_signal(m, 1, 0, 1, 1, 1);
  EXPECT_NE(lira_shortfall(split_shadows(m, 0), {true, false}).find("2 IN and 2 OUT"), std::string::npos);
  EXPECT_FALSE(lira_shortfall(split_shadows(m, 0), {true, true}).empty());
  // K = 6: two of each: every variant runs.
  m = lira_membership(6, 10, 1);
  for (const LiraOptions o : {LiraOptions{true, false}, LiraOptions{false, false}})
    EXPECT_EQ(lira_shortfall(split_shadows(m, 0), o), "");
}

TEST(Lira, LogNormalSurvivalIsAccurateInBothTails) {
  for (double z : {-5.0, -1.0, 0.0, 1.0, 5.0, 20.0, 34.0})
    EXPECT_NEAR(log_normal_sf(z), std::log(0.5 * std::erfc(z / std::sqrt(2.0))), 1e-12 * (1 + std::abs(z * z)));
  // Across the switch to the asymptotic series, and far beyond erfc's range.
  EXPECT_NEAR(log_normal_sf(34.999999), log_normal_sf(35.000001), 1e-3);
  const double z = 60.0;
  EXPECT_NEAR(log_normal_sf(z), -0.5 * z * z - std::log(z * std::sqrt(2 * M_PI)) + std::log1p(-1 / (z * z) + 3 / std::pow(z, 4)),
              1e-9);
  EXPECT_TRUE(std::isfinite(log_normal_sf(1e4)));
  EXPECT_LT(log_normal_sf(40.0), log_normal_sf(39.0));
}

}  // namespace
}  // namespace cwrf::attack
