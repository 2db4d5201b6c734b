// `cwrf score`, `cwrf rewind` and `cwrf analyze correlation | pruning | lottery | ablation` on the
// command line, on a tiny model trained by `cwrf train`: what they print and write, and their
// errors as one line.
#include "cwrf/common/files.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <string>

namespace cwrf {
namespace {

namespace fs = std::filesystem;
using cwrf::testing::Invocation;
using cwrf::testing::run_cwrf;
using cwrf::testing::Streams;

class CwrfCommandsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cwrf::testing::TempDir;
    cwrf::testing::write_synthetic_idx_dataset(*dir_ / "data", 400, 100, 8, 3);
    const std::string data = " --set data.name=idx --set data.path=" + (*dir_ / "data").string();
    const Invocation r = run_cwrf("train --threads 1 --epochs 2 --set data.train_size=150 --set data.ref_size=60 "
                                  "--set model.width=4 --set batch_size=32" +
                                  data + " --out " + (*dir_ / "runs").string());
    ASSERT_EQ(r.status, 0) << r.out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("model: (\\S+)"))) << r.out;
    model_ = new fs::path(m[1].str());
  }
  static void TearDownTestSuite() {
    delete model_;
    delete dir_;
  }
  // The model directory as a user may type it, with a trailing slash.
  static std::string model_arg() { return model_->string() + "/"; }
  static fs::path out(const std::string& name) { return *dir_ / name; }

  static cwrf::testing::TempDir* dir_;
  static fs::path* model_;
};
cwrf::testing::TempDir* CwrfCommandsCli::dir_ = nullptr;
fs::path* CwrfCommandsCli::model_ = nullptr;

const char* kFast = " --threads 1 --set cwrf.iterations=3 --set cwrf.batch_size=32";

TEST_F(CwrfCommandsCli, ScoreWritesScoresAndASummaryPerKind) {
  const Invocation r = run_cwrf("score " + model_arg() + kFast + " --method tfo --out " + out("s/tfo.pt").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("## tfo scores of " + model_->filename().string()), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out("s/tfo.pt")));
  const auto summary = nlohmann::json::parse(read_file(out("s/tfo-summary.json")));
  double share = 0;
  for (const auto& row : summary) share += row.at("share").get<double>();
  EXPECT_NEAR(share, 1.0, 1e-9);
  // The method is said once: the flag or the key, not both.
  const Invocation both = run_cwrf("score " + model_arg() + " --method tfo --set cwrf.score=pve --out " +
                                   out("s/x.pt").string());
  EXPECT_EQ(both.status, 1) << both.out;
  EXPECT_EQ(both.out.rfind("cwrf: error: --method tfo and --set cwrf.score=pve both choose the scoring method", 0), 0u)
      << both.out;
  // The key alone works.
  const Invocation key = run_cwrf("score " + model_arg() + kFast + " --set cwrf.score=pve --out " + out("s/pve.pt").string());
  ASSERT_EQ(key.status, 0) << key.out;
  EXPECT_NE(key.out.find("## pve scores of"), std::string::npos) << key.out;
}

TEST_F(CwrfCommandsCli, RewindNamesTheModelAndWritesADerivedDirectory) {
  const Invocation r = run_cwrf("rewind " + model_arg() + kFast + " --set cwrf.rate=0.05 --set cwrf.epochs=1 --out " +
                                out("rewound").string());
  ASSERT_EQ(r.status, 0) << r.out;
  // The model's name, even from a path with a trailing slash.
  EXPECT_NE(r.out.find("weights of " + model_->filename().string() + " (pve, T=3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("after rewinding: test_acc"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("model: (\\S+)"))) << r.out;
  const auto manifest = nlohmann::json::parse(read_file(fs::path(m[1].str()) / "manifest.json"));
  EXPECT_EQ(manifest.at("kind"), "cwrf");
  EXPECT_EQ(fs::path(m[1].str()).filename().string().rfind("cnn-ce-cwrf-r5-m0-", 0), 0u) << m[1].str();
}

TEST_F(CwrfCommandsCli, AnalyzeCorrelationAndPruning) {
  const Invocation c = run_cwrf("analyze correlation " + model_arg() + kFast + " --out " + out("corr").string());
  ASSERT_EQ(c.status, 0) << c.out;
  const auto table = nlohmann::json::parse(read_file(out("corr/correlation.json")));
  ASSERT_GE(table.size(), 3u);
  EXPECT_EQ(table[0].at("weight_type"), "all");
  const double r = table[0].at("pcc").get<double>();
  EXPECT_GE(r, -1.0);
  EXPECT_LE(r, 1.0);
  const Invocation p = run_cwrf("analyze pruning " + model_arg() + kFast + " --sparsities 0,0.5,0.99 --out " +
                                out("prune").string());
  ASSERT_EQ(p.status, 0) << p.out;
  const auto sweep = nlohmann::json::parse(read_file(out("prune/pruning.json")));
  ASSERT_EQ(sweep.size(), 3u);
  // Sparsity 0 is the model itself.
  const auto metrics = nlohmann::json::parse(read_file(*model_ / "metrics.json"));
  EXPECT_DOUBLE_EQ(sweep[0].at("test_acc").get<double>(), metrics.at("test_acc").get<double>());
  EXPECT_EQ(sweep[0].at("pruned_weights"), 0);
  EXPECT_GT(sweep[2].at("pruned_weights").get<int64_t>(), sweep[1].at("pruned_weights").get<int64_t>());
  const Invocation bad = run_cwrf("analyze pruning " + model_arg() + " --sparsities 0,x --out " + out("p2").string());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("--sparsities: 'x' is not a number"), std::string::npos) << bad.out;
}

TEST_F(CwrfCommandsCli, AnalyzeLotteryAndAblation) {
  const Invocation l = run_cwrf("analyze lottery " + model_arg() + kFast + " --sparsity 0.5 --out " + out("lot").string());
  ASSERT_EQ(l.status, 0) << l.out;
  const auto lottery = nlohmann::json::parse(read_file(out("lot/lottery.json")));
  ASSERT_EQ(lottery.size(), 3u);
  EXPECT_EQ(lottery[0].at("model"), "M1");
  EXPECT_EQ(lottery[2].at("model"), "M3");
  const Invocation a = run_cwrf("analyze ablation " + model_arg() + kFast +
                                " --rates 0.05 --set cwrf.epochs=1 --defense relaxloss --out " + out("abl").string());
  ASSERT_EQ(a.status, 0) << a.out;
  const auto ablation = nlohmann::json::parse(read_file(out("abl/ablation.json")));
  ASSERT_EQ(ablation.size(), 4u);  // A1, A2, A3 at one rate, and the from-scratch baseline
  EXPECT_EQ(ablation[3].at("approach"), "scratch");
  // A1 removes the top weights: right after, the model is no better than A3 right after rewinding.
  EXPECT_LE(ablation[0].at("rewound_test_acc").get<double>(), 1.0);
}

TEST_F(CwrfCommandsCli, BadInputsAreOneLine) {
  auto expect_one_line = [](const std::string& args, const std::string& fragment) {
    const Invocation r = run_cwrf(args);
    EXPECT_EQ(r.status, 1) << args << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("cwrf: error: ", 0), 0u) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_NE(r.out.find(fragment), std::string::npos) << r.out;
  };
  expect_one_line("rewind " + out("nowhere").string(), "is not a complete model directory");
  expect_one_line("run " + out("missing.toml").string(), "experiment file not found");
  expect_one_line("train --config " + out("missing.toml").string(), "config file not found");
  expect_one_line("analyze correlation " + model_arg(), "--out is required");
  expect_one_line("rewind " + model_arg() + " --set cwrf.rate=2", "config key 'cwrf.rate' must be in [0, 1], got 2");
  expect_one_line("rewind " + model_arg() + " --set model.width=9", "differs from the parent model");
  expect_one_line("frobnicate", "unknown command 'frobnicate'; commands: run, train");
}

}  // namespace
}  // namespace cwrf
