// The attack stage over a synthetic logits tensor: every variant runs, perfectly separable logits
// are found, skipped variants and too few models are reported, and the output files are complete;
// BASE and BaVarIA through the runner, BASE ≡ RMIA (γ = 1) on its signals, each target's empirical ε
// against a recomputation, QMIA's need for the models, vulnerable.csv / .png.
#include "cwrf/attack/runner.h"
#include "cwrf/attack/empirical_epsilon.h"
#include "cwrf/attack/protocol.h"
#include "cwrf/attack/settings.h"
#include "cwrf/attack/vulnerable.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/npy.h"
#include "synthetic.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace cwrf::attack {
namespace {

// Logits [M, N, Q, 3]: the true class's logit is raised by `gap` for a model's members.
torch::Tensor member_logits(const MembershipMask& m, const torch::Tensor& labels, double gap, int64_t queries) {
  torch::manual_seed(3);
  torch::Tensor z = torch::randn({m.models, m.examples, queries, 3});
  for (int64_t k = 0; k < m.models; ++k)
    for (int64_t n = 0; n < m.examples; ++n)
      if (m(k, n))
        for (int64_t q = 0; q < queries; ++q) z[k][n][q][labels[n].item<int64_t>()] += gap;
  return z;
}

// Attack settings from the one table, with some keys set as a command line would.
config::Config settings(const std::vector<std::pair<std::string, std::string>>& given) {
  config::Config c(attack_schema());
  for (const auto& [key, text] : given) c.set_text(key, text, "test");
  return c;
}

TEST(Runner, SeparableLogitsAreFoundByEveryAttack) {
  const MembershipMask m = testing::lira_membership(8, 300, 1);
  const torch::Tensor labels = torch::arange(300, torch::kLong).remainder(3);
  const torch::Tensor logits = member_logits(m, labels, 12.0, 2);
  const AttackRun run = run_attacks(logits, labels, m, settings({{"attack.targets", "2"}, {"attack.bootstrap", "20"}}));
  ASSERT_EQ(run.targets, (std::vector<int64_t>{0, 1}));
  ASSERT_EQ(run.variants.size(), 4u + 2u + 4u);
  for (const VariantResult& v : run.variants) {
    EXPECT_TRUE(v.skipped.empty()) << v.name << ": " << v.skipped;
    ASSERT_EQ(v.targets.size(), 2u);
    for (const TargetResult& t : v.targets) EXPECT_GT(t.metrics.auc, 0.97) << v.name;
  }
  EXPECT_EQ(run.variants[0].name, "lira-online");
  EXPECT_EQ(run.variants[4].name, "rmia-online");
  EXPECT_EQ(run.variants[6].name, "metric-loss");
  EXPECT_GE(run.variants[6].targets[0].threshold_accuracy, 0.9);
}

TEST(Runner, TooFewModelsSkipVariantsOrFail) {
  const MembershipMask four = testing::lira_membership(4, 60, 2);
  const torch::Tensor labels = torch::zeros({60}, torch::kLong);
  const torch::Tensor logits = member_logits(four, labels, 2.0, 1);
  // K = 4: one IN and one OUT shadow per example — LiRA cannot estimate a variance at all.
  try {
    run_attacks(logits, labels, four, settings({{"attack.bootstrap", "0"}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too few models for LiRA"), std::string::npos) << e.what();
  }
  const AttackRun run =
      run_attacks(logits, labels, four, settings({{"attack.bootstrap", "0"}, {"attack.attacks", "rmia,metric"}}));
  EXPECT_EQ(run.variants.size(), 6u);
  // K = 5: members of the target have one IN shadow: LiRA online (per-example variance) is
  // skipped, the other LiRA variants run.
  const MembershipMask five = testing::lira_membership(5, 60, 5);
  const AttackRun r5 = run_attacks(member_logits(five, labels, 2.0, 1), labels, five,
                                   settings({{"attack.bootstrap", "0"}, {"attack.attacks", "lira"}}));
  ASSERT_EQ(r5.variants.size(), 4u);
  EXPECT_NE(r5.variants[0].skipped.find("2 IN and 2 OUT"), std::string::npos) << r5.variants[0].skipped;
  for (size_t i = 1; i < 4; ++i) EXPECT_TRUE(r5.variants[i].skipped.empty()) << r5.variants[i].name;
  // K = 2: the target's non-members have no OUT reference model: no RMIA variant can run.
  const MembershipMask two = testing::lira_membership(2, 60, 3);
  try {
    run_attacks(member_logits(two, labels, 2.0, 1), labels, two, settings({{"attack.attacks", "rmia"}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too few models for RMIA"), std::string::npos) << e.what();
  }
  // More targets than models: the error names the setting as it was given.
  config::Config three = settings({{"attack.attacks", "metric"}});
  three.set_text("attack.targets", "3", "--targets");
  try {
    run_attacks(member_logits(two, labels, 2.0, 1), labels, two, three);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--targets must be at most the 2 models"), std::string::npos) << e.what();
  }
}

TEST(Runner, WritesTheOutputFiles) {
  const MembershipMask m = testing::lira_membership(6, 80, 4);
  const torch::Tensor labels = torch::arange(80, torch::kLong).remainder(3);
  const config::Config plan =
      settings({{"attack.targets", "2"}, {"attack.bootstrap", "10"}, {"attack.rmia_variants", "online"}});
  const AttackRun run = run_attacks(member_logits(m, labels, 1.0, 2), labels, m, plan);
  cwrf::testing::TempDir dir;
  OutputContext context;
  context.model_paths = {"a", "b", "c", "d", "e", "f"};
  context.pool = torch::arange(100, 180, torch::kLong);
  context.labels = labels;
  context.extra = {{"command", "test"}};
  const auto warnings = write_attack_outputs(run, plan, dir.path(), context);
  for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";
  const auto results = nlohmann::json::parse(read_file(dir / "results.json"));
  EXPECT_EQ(results.at("command"), "test");
  EXPECT_EQ(results.at("settings").at("attack.rmia_variants"), nlohmann::json::array({"online"}));
  EXPECT_EQ(results.at("attacks").size(), run.variants.size());
  const auto& lira = results.at("attacks")[0];
  EXPECT_EQ(lira.at("name"), "lira-online");
  EXPECT_EQ(lira.at("per_target").size(), 2u);
  EXPECT_TRUE(lira.at("mean").contains("auc"));
  EXPECT_TRUE(lira.at("mean").at("tpr_at_fpr").contains("0.001"));
  EXPECT_TRUE(lira.at("per_target")[0].at("tpr_at_fpr_interval").contains("1e-05"));
  EXPECT_EQ(lira.at("per_target")[1].at("model"), "b");
  const torch::Tensor membership = load_npy(dir / "membership.npy");
  EXPECT_EQ(membership.sizes(), (std::vector<int64_t>{2, 80}));
  const torch::Tensor scores = load_npy(dir / "scores" / "rmia-online.npy");
  EXPECT_EQ(scores.sizes(), (std::vector<int64_t>{2, 80}));
  EXPECT_EQ(scores[1][5].item<double>(), run.variants[4].targets[1].scores[5]);
  for (int64_t n = 0; n < 80; ++n) EXPECT_EQ(membership[1][n].item<bool>(), m(1, n));
  const std::string csv = read_file(dir / "scores.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "target,model,example,pool_index,label,member,lira-online,lira-online-fixed,lira-offline,lira-offline-fixed,"
            "rmia-online,metric-loss,metric-confidence,metric-entropy,metric-modified-entropy");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 80);
  EXPECT_NE(csv.find("\n1,b,0,100,0,"), std::string::npos);
  const std::string roc = read_file(dir / "roc" / "lira-online.csv");
  EXPECT_EQ(roc.substr(0, roc.find('\n')), "target,threshold,fpr,tpr");
  EXPECT_NE(roc.find("\n0,inf,0,0\n"), std::string::npos);
  EXPECT_NE(roc.find(",1,1\n"), std::string::npos);
  // The plot exists whenever gnuplot does; without it a warning says so.
  EXPECT_TRUE(std::filesystem::exists(dir / "roc.png") || !warnings.empty());
}

TEST(Runner, BaseAndBavariaRunAndEveryTargetHasItsEmpiricalEpsilon) {
  const MembershipMask m = testing::lira_membership(8, 300, 1);
  const torch::Tensor labels = torch::arange(300, torch::kLong).remainder(3);
  const config::Config c = settings({{"attack.targets", "2"}, {"attack.bootstrap", "0"}, {"attack.attacks", "base,bavaria"}});
  const AttackRun run = run_attacks(member_logits(m, labels, 12.0, 2), labels, m, c);
  ASSERT_EQ(run.variants.size(), 2u + 4u);
  EXPECT_EQ(run.variants[0].name, "base-online");
  EXPECT_EQ(run.variants[2].name, "bavaria-t-online");
  EXPECT_EQ(run.variants[5].name, "bavaria-n-offline");
  for (const VariantResult& v : run.variants) {
    ASSERT_TRUE(v.skipped.empty()) << v.name << ": " << v.skipped;
    for (size_t i = 0; i < v.targets.size(); ++i) {
      const TargetResult& t = v.targets[i];
      EXPECT_GT(t.metrics.auc, 0.97) << v.name;
      // The run's ε (shared Clopper-Pearson table) is the standalone computation on the same ROC.
      EmpiricalEpsilonOptions eo;
      eo.delta = 1e-5;
      const EmpiricalEpsilon e = empirical_epsilon(t.scores, run.membership[i], eo);
      EXPECT_EQ(t.epsilon.lower_bound.epsilon, e.lower_bound.epsilon) << v.name;
      EXPECT_EQ(t.epsilon.point.epsilon, e.point.epsilon) << v.name;
      EXPECT_GT(t.epsilon.lower_bound.epsilon, 1.0) << v.name;  // separable: a large ε is certified
    }
  }
  const nlohmann::json j = variant_json(run.variants[0], {});
  EXPECT_EQ(j.at("per_target")[0].at("empirical_epsilon").at("lower_bound"), run.variants[0].targets[0].epsilon.lower_bound.epsilon);
  EXPECT_EQ(j.at("per_target")[0].at("empirical_epsilon").at("delta"), 1e-5);
  EXPECT_TRUE(j.at("mean").contains("epsilon_lower_bound"));
  EXPECT_NE(summary_table(run).find("eps_lb"), std::string::npos);
}

TEST(Runner, BaseIsRmiaWithGammaOneOnTheSameSignal) {
  // Lassila et al.: "BASE and RMIA are equivalent under a specific hyperparameter setting" — RMIA
  // online with γ = 1 and BASE's signal (softmax(z/T), no margin) ranks the target's examples as BASE
  // online does: every ROC point of RMIA is one of BASE's, up to RMIA's merging of ties.
  const MembershipMask m = testing::lira_membership(9, 400, 21);
  const torch::Tensor labels = torch::arange(400, torch::kLong).remainder(3);
  const torch::Tensor logits = member_logits(m, labels, 0.8, 2);
  const config::Config c = settings({{"attack.targets", "3"},
                                     {"attack.bootstrap", "0"},
                                     {"attack.attacks", "rmia,base"},
                                     {"attack.rmia_variants", "online"},
                                     {"attack.base_variants", "online"},
                                     {"attack.rmia_gamma", "1"},
                                     {"attack.rmia_temperature", "2"},
                                     {"attack.base_temperature", "2"},
                                     {"attack.queries", "identity"}});
  const AttackRun run = run_attacks(logits.slice(2, 0, 1), labels, m, c);
  ASSERT_EQ(run.variants.size(), 2u);
  const VariantResult &rmia = run.variants[0], &base = run.variants[1];
  ASSERT_EQ(rmia.name, "rmia-online");
  ASSERT_EQ(base.name, "base-online");
  for (size_t i = 0; i < 3; ++i) {
    const RocCurve rb = roc_curve(base.targets[i].scores, run.membership[i]);
    const RocCurve rr = roc_curve(rmia.targets[i].scores, run.membership[i]);
    std::set<std::pair<int64_t, int64_t>> points;
    for (size_t p = 0; p < rb.size(); ++p) points.insert({rb.true_positives[p], rb.false_positives[p]});
    for (size_t p = 0; p < rr.size(); ++p) EXPECT_TRUE(points.count({rr.true_positives[p], rr.false_positives[p]})) << p;
    EXPECT_NEAR(base.targets[i].metrics.auc, rmia.targets[i].metrics.auc, 2e-3);
    EXPECT_GT(base.targets[i].metrics.auc, 0.55);
  }
}

TEST(Runner, QmiaNeedsTheModels) {
  const MembershipMask m = testing::lira_membership(4, 40, 2);
  const torch::Tensor labels = torch::zeros({40}, torch::kLong);
  try {
    run_attacks(member_logits(m, labels, 1.0, 1), labels, m, settings({{"attack.attacks", "qmia"}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("attack 'qmia' needs the model directories"), std::string::npos) << e.what();
  }
}

TEST(Runner, WritesTheMostExposedExamples) {
  const MembershipMask m = testing::lira_membership(6, 80, 4);
  const torch::Tensor labels = torch::arange(80, torch::kLong).remainder(3);
  const config::Config plan = settings({{"attack.targets", "2"},
                                        {"attack.bootstrap", "0"},
                                        {"attack.attacks", "lira,rmia"},
                                        {"attack.vulnerable_top", "10"},
                                        {"attack.vulnerable_grid", "5"}});
  const AttackRun run = run_attacks(member_logits(m, labels, 3.0, 2), labels, m, plan);
  cwrf::testing::TempDir dir;
  OutputContext context;
  context.pool = torch::arange(100, 180, torch::kLong);
  context.labels = labels;
  context.images = torch::randint(0, 256, {80, 1, 4, 4}, torch::kUInt8);
  context.plot = false;
  write_attack_outputs(run, plan, dir.path(), context);
  const auto results = nlohmann::json::parse(read_file(dir / "results.json"));
  const auto& v = results.at("vulnerable");
  const VulnerableList list = vulnerable_examples(run, 1e-3, 10);
  EXPECT_EQ(v.at("attack"), list.variant);
  EXPECT_EQ(read_file(dir / "vulnerable.csv"), vulnerable_csv(list, context.pool, context.labels));
  EXPECT_EQ(v.at("png_examples"), 5);
  EXPECT_TRUE(std::filesystem::exists(dir / "vulnerable.png"));
  const std::string csv = read_file(dir / "vulnerable.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 11);
}

}  // namespace
}  // namespace cwrf::attack
