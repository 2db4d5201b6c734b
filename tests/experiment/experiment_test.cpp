// Reading experiment files and planning them: errors, shared work, seeds.
#include "cwrf/common/error.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/plan.h"
#include "cwrf/experiment/runner.h"
#include "cwrf/experiment/scheduler.h"
#include "experiment_files.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace cwrf::experiment {
namespace {

using testing::error_of;
using testing::write;

const char* kBase = R"(epochs = 3
[model]
name = "cnn"
width = 8
[experiment]
models = 6
)";

TEST(Experiment, ReadsBaseRowsAndSettings) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(
[attack]
attacks = ["lira"]
queries = "identity"
targets = 2
[[row]]
name = "No Defense"
defense = "ce"
[[row]]
name = "CE + CWRF"
cwrf = { rate = 0.1, epochs = 2 }
)");
  const Experiment e = read_experiment(path, {"experiment.runs=2", "lr=0.01", "attack.rmia_gamma=1"});
  EXPECT_EQ(e.models(), 6);
  EXPECT_EQ(e.runs(), 2);
  EXPECT_EQ(e.targets(), 2);
  EXPECT_EQ(e.base.get_int("epochs"), 3);
  EXPECT_DOUBLE_EQ(e.base.get_float("lr"), 0.01);
  EXPECT_EQ(e.attack.get_strings("attack.attacks"), std::vector<std::string>{"lira"});
  EXPECT_EQ(e.attack.get_strings("attack.queries"), std::vector<std::string>{"identity"});
  EXPECT_DOUBLE_EQ(e.attack.get_float("attack.rmia_gamma"), 1.0);
  // Experiments evaluate the test set once, at the end, unless the file asks for more.
  EXPECT_EQ(e.base.get_int("eval_every"), 0);
  EXPECT_EQ(read_experiment(path, {"eval_every=5"}).base.get_int("eval_every"), 5);
  // Each run draws its own bootstrap and population subsets.
  EXPECT_EQ(attack_settings(e, 1).get_int("attack.seed"), e.attack.get_int("attack.seed") + 1);
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
  check(std::string(kBase) + row + "defense = \"magic\"\n", "has unknown value 'magic'; expected one of: ce, relaxloss");
  check(std::string(kBase) + row + "defnse = \"ce\"\n", "unknown config key 'defnse'");
  check(std::string(kBase) + row + "cwrf = { rat = 0.1 }\n", "unknown config key 'cwrf.rat'");
  check(std::string(kBase), "no [[row]]");
  check(std::string(kBase) + row + "[[row]]\nname = \"A\"\n", "two rows are named 'A'");
  check(std::string(kBase) + row, "models = 3 is too few", {"experiment.models=3"});
  check(std::string(kBase) + "[experiment]\n", "invalid TOML");  // a table defined twice
  check(std::string(kBase) + row + "[attack]\nattacks = [\"lira\", \"shokri\"]\n", "unknown value 'shokri'");
  check(std::string(kBase) + row + "[attack]\nbogus = 1\n", "unknown config key 'attack.bogus' (from " + (dir / "exp.toml").string() + " [attack])");
  check(std::string(kBase) + row + "[attack]\nlira_variants = []\nattacks = [\"lira\"]\n",
        "attack 'lira' is selected but its settings select no variant (config key 'attack.lira_variants'");
  check("[experiment]\ntargets = 2\n" + row, "'targets' is an attack setting");
  EXPECT_NE(error_of(dir / "missing.toml").find("missing.toml"), std::string::npos);
}

// Every attack setting is checked when the file is read, before any model trains, and the
// message names the key and the file the user wrote (not a command-line flag).
TEST(Experiment, AttackSettingsAreValidatedBeforeAnyJob) {
  cwrf::testing::TempDir dir;
  const std::string row = "\n[[row]]\nname = \"A\"\n";
  const auto path_of = [&](const std::string& attack) { return write(dir, std::string(kBase) + "[attack]\n" + attack + row); };
  // Queries: the same grammar as `cwrf attack --queries`.
  const Experiment shifted = read_experiment(path_of("queries = [\"identity\", \"shift:1:0\", \"mirror+shift:-1:2\"]\n"));
  EXPECT_EQ(shifted.attack.get_strings("attack.queries").size(), 3u);
  std::string msg = error_of(path_of("queries = [\"shift\"]\n"));
  EXPECT_NE(msg.find("config key 'attack.queries' is invalid: unknown query 'shift'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("exp.toml [attack]"), std::string::npos) << msg;
  msg = error_of(path_of("queries = [\"identity\", \"shift:1\"]\n"));
  EXPECT_NE(msg.find("is invalid: 'shift:1' must be shift:DX:DY"), std::string::npos) << msg;
  // γ = 0 is refused at once, naming the key, not the flag of `cwrf attack`.
  msg = error_of(path_of("rmia_gamma = 0\n"));
  EXPECT_NE(msg.find("config key 'attack.rmia_gamma' must be > 0, got 0"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("--rmia-gamma"), std::string::npos) << msg;
  msg = error_of(path_of("targets = 7\n"));
  EXPECT_NE(msg.find("config key 'attack.targets' (from"), std::string::npos) << msg;
  EXPECT_NE(msg.find("must be at most experiment.models = 6"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("--targets"), std::string::npos) << msg;
  msg = error_of(path_of("batch_size = 0\n"));
  EXPECT_NE(msg.find("config key 'attack.batch_size' must be >= 1"), std::string::npos) << msg;
  msg = error_of(path_of("fpr = [0.001, 2]\n"));
  EXPECT_NE(msg.find("config key 'attack.fpr' must be in (0, 1), got 2"), std::string::npos) << msg;
  // --set names itself.
  msg = error_of(path_of(""), {"attack.rmia_offline_a=3"});
  EXPECT_NE(msg.find("(from --set attack.rmia_offline_a=3)"), std::string::npos) << msg;
  // Image queries on a text model.
  msg = error_of(write(dir, "[model]\nname = \"transformer\"\n[data]\nname = \"spam-assassin\"\n[attack]\nqueries = [\"mirror\"]\n" + row));
  EXPECT_NE(msg.find("'mirror' transforms images, but transformer models read text"), std::string::npos) << msg;
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
  // 6 base models (shared by three rows) + 6 + 6 CWRF models, and the attacks: the two
  // No Defense rows' attacks are one job (the same models, the same settings).
  EXPECT_EQ(plan.jobs.size(), 18u + 3u);
  EXPECT_EQ(plan.attacks.at({0, 0}), plan.attacks.at({3, 0}));
  ASSERT_EQ(plan.attacks.size(), 4u);
  const auto base = row_models(plan, 0, 0), again = row_models(plan, 3, 0), cwrf = row_models(plan, 1, 0);
  EXPECT_EQ(base, again);  // equal identity, one job
  ASSERT_EQ(cwrf.size(), 6u);
  for (int k = 0; k < 6; ++k) {
    const PlannedJob& child = plan.jobs[cwrf[k]];
    EXPECT_EQ(child.kind, "cwrf");
    EXPECT_EQ(child.inputs, std::vector<int>{base[k]});
    EXPECT_LT(child.inputs.front(), cwrf[k]);  // inputs come first
    EXPECT_DOUBLE_EQ(child.config.at("cwrf.rate").get<double>(), 0.1);
  }
  const PlannedJob& attack = plan.jobs[plan.attacks.at({1, 0})];
  EXPECT_EQ(attack.kind, "attack");
  EXPECT_EQ(attack.inputs, cwrf);
  EXPECT_EQ(attack.out, "cwrf-a-run0");
  // Model k has seed base + k and split.model k; every model of a run shares the split seed.
  const PlannedJob& m2 = plan.jobs[base[2]];
  EXPECT_EQ(m2.config.at("split.model"), 2);
  EXPECT_EQ(m2.config.at("seed"), 2);
  EXPECT_EQ(m2.config.at("split.models"), 6);
}

// A row given several rates is planned in two steps: the candidates on the selection models,
// then, once r is chosen, the row's K models at r and its attack.
TEST(Plan, SeveralRatesFirstRunTheCandidatesThenTheChoice) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(rate_models = 2
[data]
val_size = 100
[[row]]
name = "RelaxLoss"
defense = "relaxloss"
[[row]]
name = "RelaxLoss + CWRF"
defense = "relaxloss"
cwrf = { rate = [0.05, 0.01, 0.1], epochs = 2 }
)");
  const Experiment e = read_experiment(path);
  ASSERT_EQ(e.rows[1].rates, (std::vector<double>{0.01, 0.05, 0.1}));
  const Plan first = make_plan(e);
  int candidates = 0;
  for (const PlannedJob& j : first.jobs) candidates += j.candidate;
  EXPECT_EQ(candidates, 3 * 2);  // 3 rates x the 2 selection models
  EXPECT_EQ(first.attacks.count({1, 0}), 0u);  // no attack before the choice
  EXPECT_EQ(first.attacks.count({0, 0}), 1u);
  const Plan second = make_plan(e, {{{1, 0}, 0.05}});
  const auto chosen = row_models(second, 1, 0);
  ASSERT_EQ(chosen.size(), 6u);
  for (int64_t k = 0; k < 6; ++k) {
    EXPECT_DOUBLE_EQ(second.jobs[chosen[k]].config.at("cwrf.rate").get<double>(), 0.05);
    EXPECT_EQ(second.jobs[chosen[k]].candidate, k < 2) << k;  // the selection models' run at 0.05 is reused
  }
  // The candidates needed only the selection models' bases; now the other 4 bases, 4 models at the
  // chosen r and the attack follow.
  EXPECT_EQ(second.jobs.size(), first.jobs.size() + 4 + 4 + 1);
  // Several rates need the validation split.
  EXPECT_NE(error_of(write(dir, std::string(kBase) + "\n[[row]]\nname = \"A\"\ncwrf = { rate = [0.01, 0.05] }\n"))
                .find("set data.val_size"),
            std::string::npos);
  EXPECT_NE(error_of(write(dir, std::string(kBase) + "\n[[row]]\nname = \"A\"\ncwrf = { rate = [0.01, 2] }\n"))
                .find("'cwrf.rate' lists fractions in [0, 1], got 2"),
            std::string::npos);
}

// The attack of a row runs where the models do: `cwrf run --device cuda` computes the signals on
// the GPU (they were always computed on the CPU before).
TEST(Plan, AttackJobsRunOnTheExperimentsDevice) {
  cwrf::testing::TempDir dir;
  const Experiment e = read_experiment(write(dir, std::string(kBase) + "\n[[row]]\nname = \"No Defense\"\n"),
                                       {"device=cuda", "experiment.runs=2"});
  const Plan plan = make_plan(e);
  ASSERT_EQ(plan.attacks.size(), 2u);
  std::vector<JobResult> results(plan.jobs.size());
  for (auto& r : results) r.dir = dir / "m";
  const nlohmann::json spec = job_spec(e, plan, plan.attacks.at({0, 1}), results);
  EXPECT_EQ(spec.at("kind"), "attack");
  EXPECT_EQ(spec.at("device"), "cuda");
  EXPECT_EQ(spec.at("models").size(), 6u);
  EXPECT_EQ(spec.at("settings").at("attack.seed"), 1);  // run 1
  EXPECT_EQ(spec.at("out"), (e.out() / "attacks" / "no-defense-run1").string());
}

TEST(Plan, RunsGetTheirOwnSplitAndSeeds) {
  cwrf::testing::TempDir dir;
  const Experiment e = read_experiment(write(dir, std::string(kBase) + "\n[[row]]\nname = \"A\"\n"), {"experiment.runs=2"});
  const Plan plan = make_plan(e);
  ASSERT_EQ(plan.attacks.size(), 2u);
  const auto& a = plan.jobs[row_models(plan, 0, 0)[1]].config;
  const auto& b = plan.jobs[row_models(plan, 0, 1)[1]].config;
  EXPECT_EQ(a.at("split.seed").get<int64_t>() + 1, b.at("split.seed").get<int64_t>());
  EXPECT_EQ(a.at("seed").get<int64_t>() + 1000, b.at("seed").get<int64_t>());
}

}  // namespace
}  // namespace cwrf::experiment
