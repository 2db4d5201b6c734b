// `cwrf attack` and `cwrf bench attack` as a user meets them: a run over real tiny model
// directories, the signal cache across runs, and one-line errors.
#include "test_support.h"
#include "tiny_models.h"

#include "cwrf/common/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace cwrf::attack {
namespace {

using cwrf::testing::Invocation;
using cwrf::testing::run_cwrf;

std::string join(const std::vector<std::filesystem::path>& paths) {
  std::string s;
  for (const auto& p : paths) s += " " + p.string();
  return s;
}

TEST(AttackCli, RunsOverModelDirectoriesAndReusesSignals) {
  testing::TinyModels tiny;
  testing::train_tiny_models(tiny, 4);
  const auto out = tiny.dir / "attack";
  const std::string args = "attack --threads 1 --bootstrap 10 --attacks rmia,metric --models" + join(tiny.models) +
                           " --out " + out.string();
  const Invocation r = run_cwrf(args);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("rmia-online"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 computed, 0 cached"), std::string::npos) << r.out;
  const auto results = nlohmann::json::parse(read_file(out / "results.json"));
  EXPECT_EQ(results.at("attacks").size(), 6u);
  EXPECT_EQ(results.at("targets").size(), 4u);
  EXPECT_EQ(results.at("queries"), nlohmann::json({"identity", "mirror"}));
  for (const char* f : {"membership.npy", "scores/rmia-offline.npy", "scores.csv", "roc/metric-loss.csv"})
    EXPECT_TRUE(std::filesystem::exists(out / f)) << f;
  // Again, with a folder standing for its model directories: the cache serves every model.
  const Invocation again = run_cwrf("attack --threads 1 --bootstrap 0 --attacks rmia --targets 1 --no-plot --models " +
                                    (tiny.dir / "runs").string() + " --out " + out.string());
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_NE(again.out.find("0 computed, 4 cached"), std::string::npos) << again.out;
}

TEST(AttackCli, RunsBaseBavariaAndQmiaWithTheirPerExampleView) {
  testing::TinyModels tiny;
  testing::train_tiny_models(tiny, 4);
  const auto out = tiny.dir / "attack";
  const Invocation r = run_cwrf("attack --threads 1 --bootstrap 0 --no-plot --attacks base,bavaria,qmia "
                                "--qmia-epochs 2 --qmia-fpr 0.1,0.3 --vulnerable-top 5 "
                                "--models" + join(tiny.models) + " --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("eps_lb"), std::string::npos) << r.out;
  const auto results = nlohmann::json::parse(read_file(out / "results.json"));
  std::vector<std::string> names;
  for (const auto& a : results.at("attacks")) names.push_back(a.at("name"));
  EXPECT_EQ(names, (std::vector<std::string>{"base-online", "base-offline", "bavaria-t-online",
                                             "bavaria-t-offline", "bavaria-n-online", "bavaria-n-offline", "qmia-0.1",
                                             "qmia-0.3"}));
  for (const auto& a : results.at("attacks")) {
    ASSERT_FALSE(a.contains("skipped")) << a.dump();
    const size_t targets = a.at("attack") == "qmia" ? 1u : 4u;  // attack.qmia_targets = 1
    ASSERT_EQ(a.at("per_target").size(), targets) << a.at("name");
    EXPECT_GE(a.at("per_target")[0].at("empirical_epsilon").at("lower_bound").get<double>(), 0.0);
  }
  const auto& q = results.at("attacks")[6].at("per_target")[0].at("qmia");
  EXPECT_EQ(q.at("known_non_members"), 20);  // the target's reference set (data.ref_size)
  EXPECT_GE(q.at("threshold_fpr").get<double>(), 0.0);
  const std::string csv = read_file(out / "vulnerable.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);
  EXPECT_TRUE(std::filesystem::exists(out / "vulnerable.png"));
  EXPECT_TRUE(results.at("vulnerable").contains("attack"));
}

TEST(AttackCli, ErrorsAreOneLine) {
  testing::TinyModels tiny;
  testing::train_tiny_models(tiny, 4);
  auto expect_one_line = [](const Invocation& r, const std::string& fragment) {
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_EQ(r.out.rfind("cwrf: error: ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find(fragment), std::string::npos) << r.out;
  };
  const std::string out = " --out " + (tiny.dir / "attack").string();
  // K = 4 leaves one IN and one OUT shadow per example: LiRA cannot run.
  expect_one_line(run_cwrf("attack --threads 1 --attacks lira --models" + join(tiny.models) + out), "too few models for LiRA");
  expect_one_line(run_cwrf("attack --models " + tiny.models[0].string() + out), "at least 2 model directories");
  expect_one_line(run_cwrf("attack --attacks magic --models" + join(tiny.models) + out),
                  "--attacks has unknown value 'magic'; expected one of: lira, rmia, metric, base, bavaria, qmia");
  expect_one_line(run_cwrf("attack --queries rotate --models" + join(tiny.models) + out),
                  "--queries is invalid: unknown query 'rotate'");
  // The flags are generated from the attack settings table and validated before any inference.
  expect_one_line(run_cwrf("attack --rmia-gamma 0 --models" + join(tiny.models) + out), "--rmia-gamma must be > 0, got 0");
  expect_one_line(run_cwrf("attack --targets 9 --attacks rmia --models" + join(tiny.models) + out),
                  "--targets must be at most the 4 models given");
  expect_one_line(run_cwrf("attack --fpr 0.01,1.5 --models" + join(tiny.models) + out), "--fpr must be in (0, 1), got 1.5");
  expect_one_line(run_cwrf("attack --batch-size 0 --models" + join(tiny.models) + out), "--batch-size must be >= 1, got 0");
  testing::TinyModels other;
  testing::train_tiny_models(other, 2, {"split.seed=3"});
  expect_one_line(run_cwrf("attack --models " + tiny.models[0].string() + " " + other.models[1].string() + out),
                  "different membership split");
  const Invocation help = run_cwrf("attack --help");
  EXPECT_EQ(help.status, 0);
  for (const char* flag : {"--rmia-gamma", "--rmia-offline-a", "--lira-variants", "--metrics", "--attacks", "--queries",
                           "--fpr", "--bootstrap", "--targets"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  EXPECT_NE(help.out.find("(default: 2)"), std::string::npos) << help.out;  // γ's default, from the table
}

TEST(AttackCli, BenchAttackAgreesAndReports) {
  const Invocation r = run_cwrf("bench attack --examples 2000 --population 600 --references 6 --pairwise-subset 200 --repeats 1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("identical scores: yes"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cwrf::attack
