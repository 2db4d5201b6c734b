// Reading experiment files and planning them: errors, shared work, seeds.
#include "cwrf/common/error.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/plan.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace cwrf::experiment {
namespace {

std::filesystem::path write(const cwrf::testing::TempDir& dir, const std::string& text) {
  const auto path = dir / "exp.toml";
  cwrf::testing::write_bytes(path, text);
  return path;
}

std::string error_of(const std::filesystem::path& path, const std::vector<std::string>& set = {}) {
  try {
    read_experiment(path, set);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const char* kBase = R"(epochs = 3
[model]
name = "cnn"
width = 8
[experiment]
models = 6
targets = 2
)";

TEST(Experiment, ReadsBaseRowsAndSettings) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(
[attack]
attacks = ["lira"]
queries = "identity"
[[row]]
name = "No Defense"
defense = "ce"
[[row]]
name = "CE + CWRF"
cwrf = { rate = 0.1, epochs = 2 }
)");
  const Experiment e = read_experiment(path, {"experiment.runs=2", "lr=0.01"});
  EXPECT_EQ(e.models, 6);
  EXPECT_EQ(e.runs, 2);
  EXPECT_EQ(e.base.get_int("epochs"), 3);
  EXPECT_DOUBLE_EQ(e.base.get_float("lr"), 0.01);
  EXPECT_EQ(e.attack.attacks, std::vector<std::string>{"lira"});
  EXPECT_EQ(e.attack.queries, std::vector<std::string>{"identity"});
  ASSERT_EQ(e.rows.size(), 2u);
  EXPECT_FALSE(e.rows[0].cwrf);
  EXPECT_TRUE(e.rows[1].cwrf);
  EXPECT_DOUBLE_EQ(e.rows[1].overrides.at("cwrf.rate").get<double>(), 0.1);
}

TEST(Experiment, TopLevelCwrfSettingsGoToTheCwrfRowsOnly) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(
[cwrf]
rate = 0.02
lambda = 0.9
[[row]]
name = "No Defense"
[[row]]
name = "CE + CWRF"
cwrf = { rate = 0.1 }
[[row]]
name = "RelaxLoss + CWRF"
defense = "relaxloss"
cwrf = true
)");
  const Experiment e = read_experiment(path);
  EXPECT_TRUE(e.base.changed_keys("cwrf.").empty());  // the base models are trained from scratch
  EXPECT_FALSE(e.rows[0].overrides.contains("cwrf.rate"));
  EXPECT_DOUBLE_EQ(e.rows[1].overrides.at("cwrf.rate").get<double>(), 0.1);  // the row's own value wins
  EXPECT_DOUBLE_EQ(e.rows[1].overrides.at("cwrf.lambda").get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(e.rows[2].overrides.at("cwrf.rate").get<double>(), 0.02);
}

TEST(Experiment, ShippedConfigsAreValid) {
  // Every experiment file under configs/ reads and plans (data files are only needed to run).
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(CWRF_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".toml" || entry.path().filename().string().rfind("train-", 0) == 0) continue;
    SCOPED_TRACE(entry.path().string());
    const Experiment e = read_experiment(entry.path());
    EXPECT_FALSE(make_plan(e).jobs.empty());
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(Experiment, ClearErrors) {
  cwrf::testing::TempDir dir;
  auto check = [&](const std::string& text, const std::string& fragment, const std::vector<std::string>& set = {}) {
    const std::string msg = error_of(write(dir, text), set);
    EXPECT_NE(msg.find(fragment), std::string::npos) << "got: " << msg << "\nwanted: " << fragment;
  };
  const std::string row = "\n[[row]]\nname = \"A\"\n";
  check(std::string(kBase) + row + "defense = \"magic\"\n", "unknown defense 'magic'");
  check(std::string(kBase) + row + "defnse = \"ce\"\n", "unknown config key 'defnse'");
  check(std::string(kBase) + row + "cwrf = { rat = 0.1 }\n", "unknown config key 'cwrf.rat'");
  check(std::string(kBase), "no [[row]]");
  check(std::string(kBase) + row + "[[row]]\nname = \"A\"\n", "two rows are named 'A'");
  check(std::string(kBase) + row, "models = 3 is too few", {"experiment.models=3"});
  check(std::string(kBase) + "[experiment]\n", "invalid TOML");  // a table defined twice
  check(std::string(kBase) + row + "[attack]\nattacks = [\"lira\", \"shokri\"]\n", "unknown value 'shokri'");
  check(std::string(kBase) + row + "[attack]\nbogus = 1\n", "unknown key 'bogus'");
  check(std::string(kBase) + row, "targets must be in", {"experiment.targets=9"});
  EXPECT_NE(error_of(dir / "missing.toml").find("missing.toml"), std::string::npos);
}

TEST(Plan, BaseModelsAreSharedByNoDefenseAndCwrfRows) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(
[[row]]
name = "No Defense"
defense = "ce"
[[row]]
name = "CWRF a"
cwrf = { rate = 0.1 }
[[row]]
name = "CWRF b"
cwrf = { rate = 0.2 }
[[row]]
name = "No Defense again"
)");
  const Experiment e = read_experiment(path);
  const Plan plan = make_plan(e);
  // 6 base models (shared by three rows) + 6 + 6 CWRF models.
  EXPECT_EQ(plan.jobs.size(), 18u);
  ASSERT_EQ(plan.attacks.size(), 4u);
  EXPECT_EQ(plan.attacks[0].models, plan.attacks[3].models);
  for (int k = 0; k < 6; ++k) {
    const ModelJob& child = plan.jobs[plan.attacks[1].models[k]];
    EXPECT_EQ(child.kind, JobKind::Cwrf);
    EXPECT_EQ(child.parent, plan.attacks[0].models[k]);
    EXPECT_LT(child.parent, plan.attacks[1].models[k]);  // parents come first
  }
  // Model k has seed base + k and split.model k; every model of a run shares the split seed.
  const ModelJob& m2 = plan.jobs[plan.attacks[0].models[2]];
  EXPECT_EQ(m2.config.at("split.model"), 2);
  EXPECT_EQ(m2.config.at("seed"), 2);
  EXPECT_EQ(m2.config.at("split.models"), 6);
}

TEST(Plan, RunsGetTheirOwnSplitAndSeeds) {
  cwrf::testing::TempDir dir;
  const Experiment e = read_experiment(write(dir, std::string(kBase) + "\n[[row]]\nname = \"A\"\n"), {"experiment.runs=2"});
  const Plan plan = make_plan(e);
  ASSERT_EQ(plan.attacks.size(), 2u);
  const auto& a = plan.jobs[plan.attacks[0].models[1]].config;
  const auto& b = plan.jobs[plan.attacks[1].models[1]].config;
  EXPECT_EQ(a.at("split.seed").get<int64_t>() + 1, b.at("split.seed").get<int64_t>());
  EXPECT_EQ(a.at("seed").get<int64_t>() + 1000, b.at("seed").get<int64_t>());
}

}  // namespace
}  // namespace cwrf::experiment
