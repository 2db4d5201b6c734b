// `cwrf run` end to end on a tiny synthetic experiment: the report's structure, a second
// invocation doing no work, kill-and-resume giving the same report as an uninterrupted run, and the
// newer attacks and audits (BASE, BaVarIA, QMIA, empirical ε beside DP-SGD's accountant, the
// per-example view) in an experiment.
#include "cwrf/common/files.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/runner.h"
#include "cwrf/job/model_dir.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cwrf::experiment {
namespace {

namespace fs = std::filesystem;

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cwrf::testing::write_synthetic_idx_dataset(dir_ / "data", 400, 100, 8, 3);
    cwrf::testing::write_bytes(dir_ / "exp.toml", cwrf::testing::tiny_experiment_toml(dir_ / "data"));
  }

  RunSummary run(const fs::path& out, const RunCallbacks& callbacks = {}) {
    Experiment e = read_experiment(dir_ / "exp.toml");
    e.settings.set("experiment.out", out.string(), "test");
    return run_experiment(e, callbacks, CWRF_BINARY);
  }

  cwrf::testing::TempDir dir_;
};

TEST_F(RunTest, WritesTheReportAndASecondRunDoesNoWork) {
  // The progress display carries the fraction done: it grows through the model jobs to 1.
  std::vector<double> fractions;
  RunCallbacks callbacks;
  callbacks.status = [&](double fraction, const std::string&) { fractions.push_back(fraction); };
  const RunSummary first = run(dir_ / "out", callbacks);
  ASSERT_FALSE(fractions.empty());
  double model_phase_max = 0.0;
  for (double f : fractions) {
    EXPECT_GE(f, 0.0);
    EXPECT_LE(f, 1.0);
    model_phase_max = std::max(model_phase_max, f);
  }
  EXPECT_DOUBLE_EQ(model_phase_max, 1.0);
  EXPECT_EQ(first.trained, 12);  // 6 base models (shared by both rows) + 6 CWRF models
  EXPECT_EQ(first.reused, 0);
  EXPECT_EQ(first.attacked, 2);
  for (const char* f : {"report.md", "results.csv", "results.json", "results.md", "experiment.json", "timing.json"})
    EXPECT_TRUE(fs::exists(first.report_dir / f)) << f;
  const std::string md = read_file(first.report_dir / "report.md");
  for (const char* s : {"No Defense", "CE + CWRF", "Test Acc. (%)", "LiRA AUC (%)", "RMIA TPR@0.001% FPR"})
    EXPECT_NE(md.find(s), std::string::npos) << s;
  const auto results = nlohmann::json::parse(read_file(first.report_dir / "results.json"));
  ASSERT_EQ(results.size(), 2u);
  for (const auto& row : results) {
    EXPECT_GE(row.at("test_acc_mean").get<double>(), 0.0);
    EXPECT_GE(row.at("lira_auc_mean").get<double>(), 0.0);
    EXPECT_LE(row.at("lira_auc_mean").get<double>(), 1.0);
  }
  // Each child job's thread pools were its share (2 threads / 2 jobs), OpenBLAS's included.
  for (const auto& entry : fs::directory_iterator(dir_ / "out" / "models")) {
    if (!job::is_complete_model_dir(entry.path())) continue;
    const auto metrics = nlohmann::json::parse(read_file(entry.path() / "metrics.json"));
    EXPECT_EQ(metrics.at("threads"), 1) << entry.path();
    if (!metrics.at("blas").at("library").get<std::string>().empty()) {
      EXPECT_EQ(metrics.at("blas").at("threads"), 1);
    }
  }
  const RunSummary second = run(dir_ / "out");
  EXPECT_EQ(second.trained, 0);
  EXPECT_EQ(second.reused, 12);
  EXPECT_EQ(second.attacked, 0);
  EXPECT_EQ(second.markdown, first.markdown);
}

// A CWRF row given several rates over two runs: each run chooses its r on the validation split
// from the selection models, then trains the row's other models at it; the report has the
// choice, every candidate's numbers, and the paired comparison with the defense alone.
TEST_F(RunTest, ChoosesTheRatePerRunAndComparesThePairs) {
  const std::string text = read_file(dir_ / "exp.toml");
  std::string several = text;
  several.replace(several.find("cwrf = { rate = 0.1,"), std::string("cwrf = { rate = 0.1,").size(),
                  "cwrf = { rate = [0.02, 0.3],");
  several.replace(several.find("ref_size = 40"), std::string("ref_size = 40").size(), "ref_size = 40\nval_size = 50");
  several.replace(several.find("threads = 2"), std::string("threads = 2").size(), "threads = 2\nruns = 2\nrate_models = 2");
  cwrf::testing::write_bytes(dir_ / "several.toml", several);
  Experiment e = read_experiment(dir_ / "several.toml");
  e.settings.set("experiment.out", (dir_ / "several").string(), "test");
  const RunSummary s = run_experiment(e, {}, CWRF_BINARY);
  // Per run: 6 base models, 2 candidates x 2 selection models, 4 more at the chosen rate.
  EXPECT_EQ(s.trained, 2 * (6 + 2 * 2 + 4));
  EXPECT_EQ(s.attacked, 2 * 2);
  const auto selection = nlohmann::json::parse(read_file(s.report_dir / "selection.json"));
  ASSERT_EQ(selection.size(), 2u);  // one choice per run
  for (const auto& choice : selection) {
    EXPECT_EQ(choice.at("candidates").size(), 2u);
    const double r = choice.at("chosen").get<double>();
    EXPECT_TRUE(r == 0.02 || r == 0.3) << r;
    EXPECT_EQ(choice.at("reference"), "No Defense");
  }
  const std::string md = read_file(s.report_dir / "report.md");
  for (const char* part : {"## The choice of r", "## Does CWRF change the defense?", "**CE + CWRF vs No Defense**",
                           "Δ LiRA AUC (%)", "non-members"})
    EXPECT_NE(md.find(part), std::string::npos) << part << "\n" << md;
  const auto pairs = nlohmann::json::parse(read_file(s.report_dir / "pairs.json"));
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].at("pairs"), 2 * 2);  // 2 runs x 2 targets
  const double low = pairs[0].at("lira_auc_low").get<double>(), high = pairs[0].at("lira_auc_high").get<double>();
  EXPECT_LE(low, pairs[0].at("lira_auc_diff").get<double>());
  EXPECT_GE(high, pairs[0].at("lira_auc_diff").get<double>());
  // Again: nothing to train, the same report.
  const RunSummary again = run_experiment(e, {}, CWRF_BINARY);
  EXPECT_EQ(again.trained, 0);
  EXPECT_EQ(again.markdown, s.markdown);
}

TEST_F(RunTest, KilledAndResumedGivesTheSameReport) {
  const RunSummary reference = run(dir_ / "uninterrupted");
  // The same experiment as a separate process, killed -9 once a few models exist.
  const int before = cwrf::testing::run_and_kill_after(dir_ / "exp.toml", dir_ / "killed", 3);
  EXPECT_GE(before, 3);
  EXPECT_LT(before, 12) << "the run finished before it could be killed";
  const RunSummary resumed = run(dir_ / "killed");
  EXPECT_EQ(resumed.reused, before);
  EXPECT_EQ(resumed.trained, 12 - before);
  EXPECT_EQ(resumed.markdown, reference.markdown);
  EXPECT_EQ(read_file(dir_ / "killed" / "report" / "results.csv"),
            read_file(dir_ / "uninterrupted" / "report" / "results.csv"));
}

TEST_F(RunTest, NewAttacksAndTheEmpiricalEpsilonInTheReport) {
  std::string text = read_file(dir_ / "exp.toml");
  text.replace(text.find("attacks = [\"lira\", \"rmia\"]"), std::string("attacks = [\"lira\", \"rmia\"]").size(),
               "attacks = [\"lira\", \"rmia\", \"base\", \"bavaria\", \"qmia\"]\nqmia_epochs = 2\nqmia_fpr = [0.1]\n"
               "vulnerable_top = 7");
  text.replace(text.find("[[row]]\nname = \"CE + CWRF\""), std::string("[[row]]\nname = \"CE + CWRF\"").size(),
               "[[row]]\nname = \"DP-SGD\"\ndefense = \"dpsgd\"\nmodel = { norm = \"group\" }\n"
               "dp = { noise_multiplier = 1.0, accountant = \"prv\" }\n[[row]]\nname = \"CE + CWRF\"");
  cwrf::testing::write_bytes(dir_ / "new.toml", text);
  Experiment e = read_experiment(dir_ / "new.toml");
  e.settings.set("experiment.out", (dir_ / "new").string(), "test");
  const RunSummary s = run_experiment(e, {}, CWRF_BINARY);
  EXPECT_EQ(s.attacked, 3);
  const std::string md = read_file(s.report_dir / "report.md");
  for (const char* part : {"BASE AUC (%)", "BaVarIA AUC (%)", "QMIA AUC (%)", "ε_lb (LiRA)", "DP ε (accountant)", "DP-SGD"})
    EXPECT_NE(md.find(part), std::string::npos) << part << "\n" << md;
  const auto results = nlohmann::json::parse(read_file(s.report_dir / "results.json"));
  ASSERT_EQ(results.size(), 3u);
  for (const auto& row : results) {
    for (const char* key : {"base_auc_mean", "bavaria_auc_mean", "qmia_auc_mean", "lira_eps_lb_mean"})
      EXPECT_TRUE(row.at(key).is_number()) << key << " " << row.dump();
    // Only the DP-SGD row has an accountant's ε.
    if (row.at("row") == "DP-SGD") {
      ASSERT_TRUE(row.at("dp_epsilon_mean").is_number()) << row.dump();
      EXPECT_GT(row.at("dp_epsilon_mean").get<double>(), 0.0);
    } else {
      EXPECT_TRUE(row.at("dp_epsilon_mean").is_null()) << row.dump();
    }
  }
  // Every attack directory has its per-example view.
  int views = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "new"))
    if (entry.path().filename() == "vulnerable.csv") {
      ++views;
      const std::string csv = read_file(entry.path());
      EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 8) << entry.path();
    }
  EXPECT_EQ(views, 3);
}

}  // namespace
}  // namespace cwrf::experiment
