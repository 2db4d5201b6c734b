// [[analysis]] tables: how they are read (knobs, model keys, derived keys, errors) and planned
// (the analysed model shared with Table 3's base model, the models each kind derives, identity).
#include "cwrf/common/error.h"
#include "cwrf/experiment/analyses.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/plan.h"
#include "experiment_files.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace cwrf::experiment {
namespace {

using testing::error_of;
using testing::write;

const char* kBase = R"(epochs = 3
[model]
name = "resnet18"
width = 4
[experiment]
models = 6
[attack]
attacks = ["lira"]
targets = 1
[cwrf]
epochs = 2
)";

TEST(Analyses, ReadsKnobsModelKeysAndDerivedKeys) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(
[[analysis]]
kind = "pruning"
sparsities = [0.0, 0.5]
criterion = "magnitude"
cwrf = { scope = "weights" }
[[analysis]]
kind = "ablation"
rates = [0.01, 0.05]
defense = { name = "relaxloss" }
[[analysis]]
kind = "correlation"
name = "vit-correlation"
model = { name = "vit" }
)");
  const Experiment e = read_experiment(path);
  EXPECT_TRUE(e.rows.empty());
  ASSERT_EQ(e.analyses.size(), 3u);
  const AnalysisEntry& pruning = e.analyses[0];
  EXPECT_EQ(pruning.name, "pruning");
  EXPECT_EQ(pruning.knobs.at("pruning.sparsities"), nlohmann::json::array({0.0, 0.5}));
  EXPECT_EQ(pruning.knobs.at("pruning.criterion"), "magnitude");
  EXPECT_EQ(pruning.derived_overrides.at("cwrf.scope"), "weights");
  EXPECT_EQ(pruning.derived_overrides.at("cwrf.epochs"), 2) << "the shared [cwrf] keys reach the derived models";
  EXPECT_TRUE(pruning.model_overrides.empty());
  EXPECT_EQ(e.analyses[1].derived_overrides.at("defense.name"), "relaxloss");
  EXPECT_EQ(e.analyses[2].name, "vit-correlation");
  EXPECT_EQ(e.analyses[2].model_overrides.at("model.name"), "vit");
  EXPECT_EQ(e.analyses[2].knobs.at("correlation.replicates"), 200) << "defaults filled in";
}

TEST(Analyses, SharedAnalysesKeysApplyBeneathEachEntry) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(
[analyses]
epochs = 7
data = { train_size = 500, test_size = 300 }
sparsities = [0.0, 0.9]
[[analysis]]
kind = "pruning"
[[analysis]]
kind = "pruning"
name = "wide"
data = { train_size = 800 }
model = { width = 8 }
sparsities = [0.5]
)");
  const Experiment e = read_experiment(path);
  ASSERT_EQ(e.analyses.size(), 2u);
  EXPECT_EQ(e.analyses[0].model_overrides.at("epochs"), 7);
  EXPECT_EQ(e.analyses[0].model_overrides.at("data.train_size"), 500);
  EXPECT_EQ(e.analyses[0].knobs.at("pruning.sparsities"), nlohmann::json::array({0.0, 0.9}));
  // The entry's own keys win one by one; the shared keys it does not name stay.
  EXPECT_EQ(e.analyses[1].model_overrides.at("data.train_size"), 800);
  EXPECT_EQ(e.analyses[1].model_overrides.at("data.test_size"), 300);
  EXPECT_EQ(e.analyses[1].model_overrides.at("model.width"), 8);
  EXPECT_EQ(e.analyses[1].knobs.at("pruning.sparsities"), nlohmann::json::array({0.5}));
  EXPECT_NE(error_of(write(dir, "analyses = 3\n" + std::string(kBase) + "[[analysis]]\nkind = \"pruning\"\n"))
                .find("[analyses] must be a table"),
            std::string::npos);
}

TEST(Analyses, RejectsUnknownKindsKeysAndDuplicateNames) {
  cwrf::testing::TempDir dir;
  EXPECT_NE(error_of(write(dir, std::string(kBase) + "[[analysis]]\nkind = \"prune\"\n"))
                .find("unknown analysis kind 'prune'; known: correlation, pruning, lottery, ablation, rewinding"),
            std::string::npos);
  EXPECT_NE(error_of(write(dir, std::string(kBase) + "[[analysis]]\nsparsities = [0.5]\n")).find("needs a kind"),
            std::string::npos);
  const std::string unknown = error_of(write(dir, std::string(kBase) + "[[analysis]]\nkind = \"pruning\"\nsparsity = 0.5\n"));
  EXPECT_NE(unknown.find("[[analysis]] #1 (pruning): unknown key 'sparsity'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("sparsities, criterion, recalibrate_norm"), std::string::npos) << unknown;
  EXPECT_NE(error_of(write(dir, std::string(kBase) + "[[analysis]]\nkind = \"pruning\"\nsparsities = [1.5]\n"))
                .find("pruning.sparsities"),
            std::string::npos);
  EXPECT_NE(error_of(write(dir, std::string(kBase) + "[[analysis]]\nkind = \"lottery\"\n[[analysis]]\nkind = \"lottery\"\n"))
                .find("two analyses are named 'lottery'"),
            std::string::npos);
  EXPECT_NE(error_of(write(dir, kBase)).find("no [[row]] or [[analysis]] tables"), std::string::npos);
}

TEST(Analyses, PlanSharesTheBaseModelAndDerivesWhatEachKindNeeds) {
  cwrf::testing::TempDir dir;
  const auto path = write(dir, std::string(kBase) + R"(
[[row]]
name = "No Defense"
[[analysis]]
kind = "correlation"
[[analysis]]
kind = "pruning"
[[analysis]]
kind = "lottery"
sparsity = 0.8
[[analysis]]
kind = "ablation"
rates = [0.01, 0.05]
defense = { name = "relaxloss" }
[[analysis]]
kind = "rewinding"
rates = [0.01, 0.05, 0.1]
[[analysis]]
kind = "correlation"
name = "wide"
model = { width = 8 }
)");
  const Experiment e = read_experiment(path);
  const Plan plan = make_plan(e);
  ASSERT_EQ(plan.analyses.size(), 6u);
  const int base0 = plan.jobs[plan.attacks.at({0, 0})].inputs.at(0);  // Table 3's model k = 0 of run 0
  auto job = [&](const std::string& name) { return plan.jobs[plan.analyses.at(name)]; };
  for (const char* name : {"correlation", "pruning", "lottery", "ablation", "rewinding"}) {
    EXPECT_EQ(job(name).kind, "analysis");
    EXPECT_EQ(job(name).inputs.at(0), base0) << name << " analyses the shared base model";
    EXPECT_EQ(job(name).out, name);
  }
  EXPECT_EQ(job("correlation").inputs.size(), 1u);
  EXPECT_EQ(job("pruning").inputs.size(), 1u);
  ASSERT_EQ(job("lottery").inputs.size(), 2u);
  const PlannedJob& m2 = plan.jobs[job("lottery").inputs[1]];
  EXPECT_EQ(m2.kind, "cwrf");
  EXPECT_EQ(m2.config.at("cwrf.mode"), "lottery");
  EXPECT_EQ(m2.config.at("cwrf.epochs"), 3) << "M2 retrains for M1's epochs";
  EXPECT_DOUBLE_EQ(m2.config.at("cwrf.rate").get<double>(), 0.8);
  // Ablation: 3 approaches x 2 rates fine-tuned with the defense, and the defense from scratch.
  const PlannedJob& ablation = job("ablation");
  ASSERT_EQ(ablation.inputs.size(), 8u);
  for (size_t i = 1; i < 7; ++i) {
    EXPECT_EQ(plan.jobs[ablation.inputs[i]].kind, "cwrf");
    EXPECT_EQ(plan.jobs[ablation.inputs[i]].config.at("defense.name"), "relaxloss");
    EXPECT_EQ(plan.jobs[ablation.inputs[i]].inputs, std::vector<int>{base0});
  }
  const PlannedJob& scratch = plan.jobs[ablation.inputs[7]];
  EXPECT_EQ(scratch.kind, "train");
  EXPECT_EQ(scratch.config.at("defense.name"), "relaxloss");
  EXPECT_EQ(ablation.config.at("roles").size(), 7u);
  EXPECT_EQ(ablation.config.at("roles")[6].at("approach"), "scratch");
  // Rewinding: E = 0 CWRF jobs.
  ASSERT_EQ(job("rewinding").inputs.size(), 4u);
  EXPECT_EQ(plan.jobs[job("rewinding").inputs[1]].config.at("cwrf.epochs"), 0);
  // An analysis with model keys trains its own model.
  const PlannedJob& wide = plan.jobs[job("wide").inputs.at(0)];
  EXPECT_NE(job("wide").inputs.at(0), base0);
  EXPECT_EQ(wide.config.at("model.width"), 8);
  // Planning is deterministic and content-identified: the same file gives the same identities.
  const Plan again = make_plan(read_experiment(path));
  ASSERT_EQ(again.jobs.size(), plan.jobs.size());
  for (size_t i = 0; i < plan.jobs.size(); ++i) EXPECT_EQ(again.jobs[i].identity, plan.jobs[i].identity);
}

}  // namespace
}  // namespace cwrf::experiment
