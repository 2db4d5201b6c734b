// The paper in one command, at toy scale: every analysis kind through the planner next to Table 3
// rows, the paper report's structure, a second run doing nothing, and kill -9 and resume giving
// the same report.
#include "cwrf/common/files.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/runner.h"
#include "cwrf/job/model_dir.h"
#include "test_support.h"

#include <gtest/gtest.h>


namespace cwrf::experiment {
namespace {

namespace fs = std::filesystem;

class PaperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cwrf::testing::write_synthetic_idx_dataset(dir_ / "data", 400, 100, 16, 3);
    cwrf::testing::TinyExperiment tiny;
    tiny.name = "tiny paper";
    tiny.model = "resnet18";
    tiny.tables = R"([cwrf]
epochs = 1
iterations = 2
batch_size = 32
[[analysis]]
kind = "correlation"
replicates = 20
max_points = 100
[[analysis]]
kind = "pruning"
sparsities = [0.0, 0.5]
[[analysis]]
kind = "pruning"
name = "pruning-magnitude"
criterion = "magnitude"
recalibrate_norm = true
sparsities = [0.0, 0.5]
cwrf = { scope = "weights" }
[[analysis]]
kind = "lottery"
sparsity = 0.5
[[analysis]]
kind = "ablation"
rates = [0.01, 0.1]
defense = { name = "relaxloss" }
[[analysis]]
kind = "rewinding"
rates = [0.05, 0.2]
)";
    cwrf::testing::write_bytes(dir_ / "exp.toml", cwrf::testing::tiny_experiment_toml(dir_ / "data", tiny));
  }

  RunSummary run(const fs::path& out) {
    Experiment e = read_experiment(dir_ / "exp.toml");
    e.settings.set("experiment.out", out.string(), "test");
    return run_experiment(e, {}, CWRF_BINARY);
  }

  cwrf::testing::TempDir dir_;
};

TEST_F(PaperTest, RunsEveryAnalysisAndWritesThePaperReport) {
  const fs::path out = dir_ / "out";
  const RunSummary s = run(out);
  EXPECT_EQ(s.analysed, 6);
  // 6 base + 6 CWRF (Table 3) + M2 + 6 ablation fine-tunings + 1 from scratch + 2 rewound.
  EXPECT_EQ(s.trained, 22);
  for (const char* name : {"correlation", "pruning", "pruning-magnitude", "lottery", "ablation", "rewinding"}) {
    const auto result = nlohmann::json::parse(read_file(out / "analyses" / name / "result.json"));
    EXPECT_FALSE(result.at("table").empty()) << name;
    EXPECT_FALSE(result.at("job_key").get<std::string>().empty()) << name;
  }
  const auto ablation = nlohmann::json::parse(read_file(out / "analyses" / "ablation" / "result.json"));
  EXPECT_EQ(ablation.at("table").size(), 7u);  // A1-A3 x 2 rates + scratch
  const auto magnitude = nlohmann::json::parse(read_file(out / "analyses" / "pruning-magnitude" / "result.json"));
  EXPECT_EQ(magnitude.at("criterion"), "magnitude");
  EXPECT_EQ(magnitude.at("scope"), "weights");
  EXPECT_TRUE(magnitude.at("recalibrate_norm").get<bool>());

  const std::string md = read_file(out / "report" / "paper.md");
  for (const char* heading : {"## Verdicts", "## Table 1 and Fig. 3", "## Fig. 1", "## Fig. 4", "## Fig. 5 and Table 2",
                              "## Sec. 4.3", "## Table 3 and Fig. 9"})
    EXPECT_NE(md.find(heading), std::string::npos) << heading;
  // The paper's published values beside ours: Table 1 (ResNet18 conv), Table 2 (A2 train CE at r = 1 %),
  // Table 3 (ResNet18 No Defense accuracy).
  EXPECT_NE(md.find("0.9410"), std::string::npos);
  EXPECT_NE(md.find("(0.8570)"), std::string::npos);
  EXPECT_NE(md.find("79.44"), std::string::npos);
  EXPECT_EQ(md.find("Not run"), std::string::npos) << "every section has its analysis";
  const auto verdicts = nlohmann::json::parse(read_file(out / "report" / "verdicts.json"));
  ASSERT_EQ(verdicts.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(verdicts[i].at("claim"), std::vector<std::string>({"i", "ii", "iii", "iv"})[i]);
    const std::string j = verdicts[i].at("judgement");
    EXPECT_TRUE(j == "holds" || j == "does not hold" || j == "inconclusive") << j;
    EXPECT_FALSE(verdicts[i].at("parts").empty());
    EXPECT_NE(md.find("(" + verdicts[i].at("claim").get<std::string>() + ") "), std::string::npos);
  }
  EXPECT_NE(s.markdown.find("## Verdicts"), std::string::npos);
  // The HTML page carries its figures.
  const std::string html = read_file(out / "report" / "paper.html");
  EXPECT_NE(html.find("<table>"), std::string::npos);
  if (fs::exists(out / "analyses" / "pruning" / "pruning.png")) {
    EXPECT_NE(html.find("src=\"data:image/png;base64,"), std::string::npos);
    EXPECT_EQ(html.find("src=\"../analyses"), std::string::npos) << "every figure inlined";
  }
  // Again: nothing to do, the same report.
  const RunSummary again = run(out);
  EXPECT_EQ(again.trained, 0);
  EXPECT_EQ(again.analysed, 0);
  EXPECT_EQ(read_file(out / "report" / "paper.md"), md);
}

TEST_F(PaperTest, KilledAndResumedGivesTheSameReport) {
  run(dir_ / "uninterrupted");
  const int before = cwrf::testing::run_and_kill_after(dir_ / "exp.toml", dir_ / "killed", 8);
  EXPECT_GE(before, 8);
  EXPECT_LT(before, 22) << "the run finished before it could be killed";
  const RunSummary resumed = run(dir_ / "killed");
  EXPECT_EQ(resumed.reused, before);
  EXPECT_EQ(resumed.trained, 22 - before);
  for (const char* file : {"paper.md", "verdicts.json", "results.csv"})
    EXPECT_EQ(read_file(dir_ / "killed" / "report" / file), read_file(dir_ / "uninterrupted" / "report" / file)) << file;
}

}  // namespace
}  // namespace cwrf::experiment
