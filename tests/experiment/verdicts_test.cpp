// The verdict rules on fabricated evidence: each claim where it holds, where it does not, and
// where the intervals leave it open.
#include "cwrf/experiment/verdicts.h"

#include <gtest/gtest.h>

namespace cwrf::experiment {
namespace {

TEST(Verdicts, IntervalTestsAndTheirCombination) {
  EXPECT_EQ(above({0.6, 0.55, 0.65}, 0.5), Judgement::Holds);
  EXPECT_EQ(above({0.4, 0.35, 0.45}, 0.5), Judgement::DoesNotHold);
  EXPECT_EQ(above({0.5, 0.45, 0.55}, 0.5), Judgement::Inconclusive);
  EXPECT_EQ(above({std::nan(""), 0, 1}, 0.5), Judgement::Inconclusive);
  EXPECT_EQ(within({0.01, -0.02, 0.025}, 0.03), Judgement::Holds);
  EXPECT_EQ(within({0.1, 0.05, 0.15}, 0.03), Judgement::DoesNotHold);
  EXPECT_EQ(within({-0.1, -0.15, -0.05}, 0.03), Judgement::DoesNotHold);
  EXPECT_EQ(within({0.02, -0.01, 0.05}, 0.03), Judgement::Inconclusive);
  EXPECT_EQ(combine({Judgement::Holds, Judgement::Holds}), Judgement::Holds);
  EXPECT_EQ(combine({Judgement::Holds, Judgement::Inconclusive}), Judgement::Inconclusive);
  EXPECT_EQ(combine({Judgement::Inconclusive, Judgement::DoesNotHold}), Judgement::DoesNotHold);
  EXPECT_EQ(combine({}), Judgement::Inconclusive);
}

TEST(Verdicts, AccuracyDifferenceIsTheTwoProportionNormalInterval) {
  // 0.8 vs 0.7 on 1,000 examples each: se = sqrt(0.16/1000 + 0.21/1000) = 0.019235.
  const Interval d = accuracy_difference(0.8, 1000, 0.7, 1000);
  EXPECT_NEAR(d.estimate, 0.1, 1e-12);
  EXPECT_NEAR(d.low, 0.1 - 1.959964 * 0.0192354, 1e-6);
  EXPECT_NEAR(d.high, 0.1 + 1.959964 * 0.0192354, 1e-6);
}

TEST(Verdicts, ClaimOneConcentration) {
  EXPECT_EQ(judge_concentration({{"a", {0.7, 0.65, 0.75}}, {"b", {0.6, 0.52, 0.66}}}).judgement, Judgement::Holds);
  EXPECT_EQ(judge_concentration({{"a", {0.7, 0.65, 0.75}}, {"b", {0.2, 0.18, 0.22}}}).judgement, Judgement::DoesNotHold);
  EXPECT_EQ(judge_concentration({{"a", {0.5, 0.45, 0.56}}}).judgement, Judgement::Inconclusive);
  const Verdict none = judge_concentration({});
  EXPECT_EQ(none.judgement, Judgement::NotEvaluated);
  EXPECT_NE(none.line().find("not evaluated"), std::string::npos);
}

TEST(Verdicts, ClaimTwoEntanglement) {
  EntanglementEvidence good{"resnet18", {0.85, 0.83, 0.87}, "conv", {0.2, 0.1, 0.3}, true};
  EXPECT_EQ(judge_entanglement({good}).judgement, Judgement::Holds);
  EntanglementEvidence weak = good;
  weak.pcc_all = {0.2, 0.15, 0.25};
  EXPECT_EQ(judge_entanglement({good, weak}).judgement, Judgement::DoesNotHold);
  EntanglementEvidence reversed = good;
  reversed.main_minus_norm = {-0.2, -0.3, -0.1};  // normalization correlates more than the main components
  const Verdict v = judge_entanglement({reversed});
  EXPECT_EQ(v.judgement, Judgement::DoesNotHold);
  ASSERT_EQ(v.parts.size(), 2u);
  EXPECT_EQ(v.parts[0].judgement, Judgement::Holds);
  EXPECT_EQ(v.parts[1].judgement, Judgement::DoesNotHold);
  EntanglementEvidence open = good;
  open.main_minus_norm = {0.05, -0.1, 0.2};
  EXPECT_EQ(judge_entanglement({open}).judgement, Judgement::Inconclusive);
}

LocationEvidence paper_like() {
  LocationEvidence e;
  e.has_ablation = e.has_lottery = true;
  e.removal_cost = {{0.01, accuracy_difference(0.75, 2000, 0.30, 2000)}, {0.05, accuracy_difference(0.74, 2000, 0.12, 2000)}};
  e.a3_vs_scratch = {{0.01, accuracy_difference(0.76, 2000, 0.74, 2000)}, {0.05, accuracy_difference(0.75, 2000, 0.74, 2000)}};
  e.m2_minus_m1 = accuracy_difference(0.80, 2000, 0.805, 2000);
  e.m2_minus_m3 = accuracy_difference(0.80, 2000, 0.35, 2000);
  return e;
}

TEST(Verdicts, ClaimThreeLocationNotValue) {
  EXPECT_EQ(judge_location(paper_like()).judgement, Judgement::Holds);
  LocationEvidence removal_harmless = paper_like();  // A1 recovers as well as rewinding: location does not matter
  removal_harmless.removal_cost[1].second = accuracy_difference(0.74, 2000, 0.73, 2000);
  EXPECT_EQ(judge_location(removal_harmless).judgement, Judgement::DoesNotHold);
  LocationEvidence no_recovery = paper_like();  // M2 far below M1
  no_recovery.m2_minus_m1 = accuracy_difference(0.60, 2000, 0.80, 2000);
  EXPECT_EQ(judge_location(no_recovery).judgement, Judgement::DoesNotHold);
  LocationEvidence close = paper_like();  // A3 just around 3 points below scratch: the interval straddles
  close.a3_vs_scratch[0].second = accuracy_difference(0.71, 2000, 0.74, 2000);
  EXPECT_EQ(judge_location(close).judgement, Judgement::Inconclusive);
  LocationEvidence lottery_only;
  lottery_only.has_lottery = true;
  lottery_only.m2_minus_m1 = paper_like().m2_minus_m1;
  lottery_only.m2_minus_m3 = paper_like().m2_minus_m3;
  EXPECT_EQ(judge_location(lottery_only).parts.size(), 2u);
  EXPECT_EQ(judge_location(LocationEvidence{}).judgement, Judgement::NotEvaluated);
}

TEST(Verdicts, ClaimFourDefensePlusCwrf) {
  // Δ = CWRF row − defense alone, fractions.
  const DefensePairEvidence better{"HAMP + CWRF", "HAMP", {-0.003, -0.008, 0.002}, {-0.09, -0.10, -0.08},
                                   {-0.05, -0.08, -0.02}};
  EXPECT_EQ(judge_defense({better}, 0.01).judgement, Judgement::Holds);
  DefensePairEvidence lira_only = better;  // RMIA not significant either way: still better on privacy
  lira_only.rmia_auc = {0.005, -0.01, 0.02};
  EXPECT_EQ(judge_defense({lira_only}, 0.01).judgement, Judgement::Holds);
  DefensePairEvidence rmia_worse = better;  // the paper's own RelaxLoss + CWRF under RMIA
  rmia_worse.rmia_auc = {0.016, 0.005, 0.03};
  EXPECT_EQ(judge_defense({rmia_worse}, 0.01).judgement, Judgement::DoesNotHold);
  DefensePairEvidence costly = better;  // more private, but 2.3 points less accurate
  costly.test_acc = {-0.023, -0.031, -0.016};
  const Verdict v = judge_defense({costly}, 0.01);
  EXPECT_EQ(v.judgement, Judgement::DoesNotHold);
  EXPECT_EQ(v.parts[0].judgement, Judgement::Holds);
  EXPECT_EQ(v.parts[1].judgement, Judgement::DoesNotHold);
  EXPECT_EQ(judge_defense({costly}, 0.05).judgement, Judgement::Holds) << "within a 5-point allowance";
  DefensePairEvidence noise = better;
  noise.lira_auc = {-0.004, -0.012, 0.004};
  noise.rmia_auc = {0.001, -0.008, 0.01};
  EXPECT_EQ(judge_defense({noise}, 0.01).judgement, Judgement::Inconclusive);
  EXPECT_EQ(judge_defense({better, costly}, 0.01).judgement, Judgement::DoesNotHold) << "every pair must hold";
  EXPECT_EQ(judge_defense({}, 0.01).judgement, Judgement::NotEvaluated);
}

}  // namespace
}  // namespace cwrf::experiment
