// `cwrf run --executor slurm` against a real Slurm: the single-node cluster of
// scripts/slurm-local.sh (22.05, jobcomp file for `sacct -c`). Every test first makes sure the
// cluster accepts jobs, starting it if needed; where it cannot, the test FAILS saying so.
//
//   - the tiny experiment of run_itest.cpp through Slurm gives the local run's report (and both
//     wall times are printed);
//   - submitted with --no-wait, one running task cancelled with scancel: the rerun resubmits it
//     and its dependents only, and gives the same report, with no staging directory left;
//   - two tasks racing for the same model (the same spec): both succeed, one model directory;
//   - the paper's analyses (correlation, pruning) as Slurm jobs give the local paper.md and verdicts;
//   - a task that fails (its data path does not exist) is reported with its Slurm job id and log,
//     and the job that needs it never runs;
//   - squeue's, scontrol's and sacct's answers about finished jobs, as the executor parses them.
#include "cwrf/common/files.h"
#include "cwrf/common/process.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/runner.h"
#include "cwrf/experiment/slurm.h"
#include "cwrf/experiment/slurm_state.h"
#include "cwrf/job/model_dir.h"
#include "test_support.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <tuple>
#include <thread>

namespace cwrf::experiment {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// "" when the local cluster accepts jobs (started here if it was not up), else why not.
std::string slurm_unavailable() {
  static const std::string why = [] {
    const std::string script = std::string(CWRF_SOURCE_DIR) + "/scripts/slurm-local.sh";
    const char* dir = std::getenv("CWRF_SLURM_DIR");
    const fs::path state = dir != nullptr ? fs::path(dir) : fs::path("/tmp/cwrf-slurm");
    auto up = [&] { return std::system((script + " status >/dev/null 2>&1").c_str()) == 0; };
    if (!up()) {
      std::cerr << "slurm tests: the local Slurm is not up; starting it (scripts/slurm-local.sh start)\n";
      // Under a lock: the suite's tests may start at the same moment.
      if (std::system(("flock /tmp/cwrf-slurm-start.lock " + script + " start >/dev/null").c_str()) != 0)
        return std::string("the local Slurm cluster is not up and `scripts/slurm-local.sh start` failed (output "
                           "above; is it installed? scripts/slurm-local.sh install)");
    }
    if (fs::exists(state / "slurm.conf")) ::setenv("SLURM_CONF", (state / "slurm.conf").c_str(), 1);
    if (!up()) return std::string("the local Slurm cluster does not accept jobs (scripts/slurm-local.sh status)");
    return std::string();
  }();
  return why;
}

SlurmSettings test_settings() {
  SlurmSettings s;
  s.sacct = {"sacct", "-c"};  // the test cluster keeps job completions in a jobcomp file
  return s;
}

// Waits until Slurm says the job has ended; its final status.
SlurmJobStatus wait_for_end(const std::string& id, double limit_s = 120) {
  const auto t0 = Clock::now();
  SlurmJobStatus s;
  while (seconds_since(t0) < limit_s) {
    s = query_slurm_job(test_settings(), id);
    if (!s.transient && s.phase == SlurmJobStatus::Phase::Ended) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return s;
}

std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  return out;
}

bool any_staging(const fs::path& dir) {
  for (const auto& p : entries(dir))
    if (staging_owner(p.filename().string())) return true;
  return false;
}

// The tests' tiny experiment (test_support.h), through Slurm: one CPU per job, quick polls.
std::string tiny_experiment(const fs::path& data, int64_t epochs) {
  cwrf::testing::TinyExperiment tiny;
  tiny.epochs = epochs;
  tiny.tables = R"([executor]
cpus = 1
poll_seconds = 0.5
sacct = "sacct -c"
)";
  return cwrf::testing::tiny_experiment_toml(data, tiny);
}

class SlurmRun : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = slurm_unavailable();
    if (!why.empty()) GTEST_FAIL() << "slurm test cannot run: " << why;
    cwrf::testing::write_synthetic_idx_dataset(dir_ / "data", 400, 100, 8, 3);
    write_experiment(1);
  }

  void write_experiment(int64_t epochs) {
    cwrf::testing::write_bytes(dir_ / "exp.toml", tiny_experiment(dir_ / "data", epochs));
  }

  RunSummary run(const fs::path& out, const std::string& kind, bool wait = true) {
    Experiment e = read_experiment(dir_ / "exp.toml");
    e.settings.set("experiment.out", out.string(), "test");
    e.executor.set("executor.kind", kind, "test");
    e.executor.set("executor.wait", wait, "test");
    RunCallbacks callbacks;
    callbacks.log = [kind](const std::string& line) { std::cerr << "[" << kind << "] " << line << "\n"; };
    return run_experiment(e, callbacks, CWRF_BINARY);
  }

  cwrf::testing::TempDir dir_;
};

TEST_F(SlurmRun, TheReportEqualsALocalRuns) {
  auto t0 = Clock::now();
  const RunSummary local = run(dir_ / "local", "local");
  const double local_s = seconds_since(t0);
  t0 = Clock::now();
  const RunSummary slurm = run(dir_ / "slurm", "slurm");
  const double slurm_s = seconds_since(t0);
  std::cout << fmt::format("[ timing ] tiny experiment (12 model jobs, 2 attacks): local {:.1f} s, slurm {:.1f} s\n",
                           local_s, slurm_s);
  RecordProperty("local_seconds", fmt::format("{:.1f}", local_s));
  RecordProperty("slurm_seconds", fmt::format("{:.1f}", slurm_s));
  ASSERT_TRUE(slurm.complete) << slurm.pending;
  EXPECT_EQ(slurm.trained, 12);
  EXPECT_EQ(slurm.attacked, 2);
  EXPECT_EQ(slurm.markdown, local.markdown);
  for (const char* f : {"results.csv", "results.json", "report.md"})
    EXPECT_EQ(read_file(dir_ / "slurm" / "report" / f), read_file(dir_ / "local" / "report" / f)) << f;
  // Every job went through Slurm, its logs in the run folder.
  const SlurmState state = read_slurm_state(dir_ / "slurm" / "slurm");
  EXPECT_EQ(state.jobs.size(), 14u);
  for (const auto& [key, r] : state.jobs) {
    EXPECT_TRUE(fs::exists(r.out_log)) << r.label;
    EXPECT_TRUE(fs::exists(r.result)) << r.label;
    EXPECT_EQ(r.submissions, 1) << r.label;
  }
  EXPECT_FALSE(any_staging(dir_ / "slurm" / "models"));
  // Again: everything is found finished, nothing is submitted, the same report.
  const RunSummary again = run(dir_ / "slurm", "slurm");
  EXPECT_TRUE(again.complete);
  EXPECT_EQ(again.trained, 0);
  EXPECT_EQ(again.reused, 12);
  EXPECT_EQ(again.markdown, local.markdown);
  for (const auto& [key, r] : read_slurm_state(dir_ / "slurm" / "slurm").jobs) EXPECT_EQ(r.submissions, 1) << r.label;
}

// The paper's analyses are jobs like the others: through Slurm they give the local paper report.
TEST_F(SlurmRun, AnalysesRunAsSlurmJobsAndGiveTheLocalPaperReport) {
  cwrf::testing::write_bytes(dir_ / "exp.toml", tiny_experiment(dir_ / "data", 1) + R"(
[[analysis]]
kind = "correlation"
replicates = 20
max_points = 100
[[analysis]]
kind = "pruning"
sparsities = [0.0, 0.5]
)");
  const RunSummary local = run(dir_ / "local", "local");
  const RunSummary slurm = run(dir_ / "slurm", "slurm");
  ASSERT_TRUE(slurm.complete) << slurm.pending;
  for (const char* f : {"paper.md", "verdicts.json", "results.csv", "report.md"})
    EXPECT_EQ(read_file(dir_ / "slurm" / "report" / f), read_file(dir_ / "local" / "report" / f)) << f;
  int analyses = 0;
  for (const auto& [key, r] : read_slurm_state(dir_ / "slurm" / "slurm").jobs) {
    analyses += r.kind == "analysis";
    EXPECT_TRUE(fs::exists(r.result)) << r.label;
  }
  EXPECT_EQ(analyses, 2);
  EXPECT_TRUE(fs::exists(dir_ / "slurm" / "analyses" / "pruning"));
}

TEST_F(SlurmRun, ACancelledTaskIsResubmittedWithItsDependentsAndTheReportIsTheSame) {
  write_experiment(200);  // model jobs that train long enough (a second or more) to be caught at it
  const RunSummary reference = run(dir_ / "local", "local");
  const fs::path out = dir_ / "slurm";
  // Submit and return, from the command line.
  const auto submitted = cwrf::testing::run_cwrf(
      fmt::format("run {} --executor slurm --no-wait --out {}", (dir_ / "exp.toml").string(), out.string()));
  ASSERT_EQ(submitted.status, 0) << submitted.out;
  EXPECT_THAT(submitted.out, HasSubstr("No report yet"));
  EXPECT_THAT(submitted.out, HasSubstr("submitted now"));
  EXPECT_FALSE(fs::exists(out / "report"));
  const SlurmState before = read_slurm_state(out / "slurm");
  ASSERT_EQ(before.jobs.size(), 14u);

  // Cancel a model task in the middle of its training (its log shows progress; no result yet).
  std::string cancelled_key;
  const auto t0 = Clock::now();
  std::set<std::string> tried;
  while (cancelled_key.empty() && seconds_since(t0) < 300) {
    std::string training;
    for (const auto& [key, r] : before.jobs) {
      std::error_code ec;
      if (r.kind == "attack" || tried.count(key) || fs::exists(r.result) || !fs::exists(r.out_log, ec)) continue;
      if (read_file(r.out_log).find("\"event\":\"progress\"") != std::string::npos) {
        training = key;
        break;
      }
    }
    if (training.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    tried.insert(training);
    const SlurmRecord& r = before.jobs.at(training);
    run_process({"scancel", r.slurm_id});
    const SlurmJobStatus end = wait_for_end(r.slurm_id);
    std::cerr << "cancelled " << r.label << " (Slurm job " << r.slurm_id << "): " << end.state << "\n";
    if (end.state == "CANCELLED" && !fs::exists(r.result)) cancelled_key = training;
  }
  ASSERT_FALSE(cancelled_key.empty()) << "could not cancel a task in training before it finished";
  // Killed while writing its model: no directory under the final name (its staging directory, if
  // no other job has cleaned it up yet, goes with the rerun).
  for (const auto& p : entries(out / "models")) {
    if (!staging_owner(p.filename().string()) && p.filename() != "scores") {
      EXPECT_TRUE(job::is_complete_model_dir(p)) << p;
    }
  }

  // The rerun waits for what is still queued, resubmits the cancelled task and what needs it.
  const RunSummary resumed = run(out, "slurm");
  ASSERT_TRUE(resumed.complete) << resumed.pending;
  EXPECT_EQ(resumed.markdown, reference.markdown);
  EXPECT_EQ(read_file(out / "report" / "results.csv"), read_file(dir_ / "local" / "report" / "results.csv"));
  const SlurmState after = read_slurm_state(out / "slurm");
  std::set<std::string> needs_it = {cancelled_key};  // the cancelled job and everything downstream of it
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [key, r] : before.jobs)
      for (const std::string& input : r.after)
        if (needs_it.count(input) && needs_it.insert(key).second) grew = true;
  }
  EXPECT_GT(needs_it.size(), 1u);
  for (const auto& [key, r] : after.jobs) {
    const bool resubmitted = r.slurm_id != before.jobs.at(key).slurm_id;
    EXPECT_EQ(resubmitted, needs_it.count(key) == 1) << r.label;
    EXPECT_EQ(r.submissions, resubmitted ? 2 : 1) << r.label;
  }
  EXPECT_FALSE(any_staging(out / "models")) << "a staging directory was left behind";
}

TEST_F(SlurmRun, TwoTasksRacingForTheSameModelBothSucceedWithOneDirectory) {
  const fs::path models = dir_ / "models";
  // Long enough (seconds of training) for the two to overlap: both build the model, both publish.
  config::Config c = cwrf::testing::tiny_idx_config(dir_ / "data",
                                                    {{"epochs", 150}, {"data.train_size", 200}, {"data.ref_size", 100}});
  write_file_atomic(dir_ / "spec.json",
                    nlohmann::json{{"kind", "train"}, {"config", c.to_json()}, {"out", models.string()}, {"threads", 1}}
                        .dump(2));
  std::vector<std::string> ids;
  for (int k : {1, 2}) {
    const ProcessResult p = run_process(
        {"sbatch", "--parsable", "--job-name=cwrf-race", "--cpus-per-task=1",
         fmt::format("--output={}/race{}-%j.log", dir_.path().string(), k),
         fmt::format("--wrap=exec {}", shell_join({CWRF_BINARY, "job", "--spec", (dir_ / "spec.json").string(),
                                                   "--result", (dir_ / fmt::format("result{}.json", k)).string()}))});
    ASSERT_TRUE(p.ok()) << p.err;
    ids.push_back(parse_sbatch_id(p.out));
  }
  for (const std::string& id : ids) EXPECT_EQ(wait_for_end(id).state, "COMPLETED") << id;
  const auto r1 = nlohmann::json::parse(read_file(dir_ / "result1.json"));
  const auto r2 = nlohmann::json::parse(read_file(dir_ / "result2.json"));
  EXPECT_EQ(r1.at("dir"), r2.at("dir"));
  EXPECT_EQ(r1.at("result").at("test_acc"), r2.at("result").at("test_acc"));
  // Both trained (a real race: neither found the other's model finished), one was published.
  EXPECT_FALSE(r1.at("reused").get<bool>());
  EXPECT_FALSE(r2.at("reused").get<bool>());
  const auto left = entries(models);
  ASSERT_EQ(left.size(), 1u) << "expected one model directory, no staging directory";
  EXPECT_EQ(left.front(), fs::path(r1.at("dir").get<std::string>()));
  EXPECT_TRUE(job::is_complete_model_dir(left.front()));
}

TEST_F(SlurmRun, AFailedTaskIsReportedWithItsJobIdAndLogAndItsDependentsNeverRun) {
  cwrf::testing::write_bytes(dir_ / "broken.toml", fmt::format(R"(epochs = 1
batch_size = 32
[data]
name = "idx"
path = "{}"
train_size = 60
ref_size = 40
[model]
name = "cnn"
width = 4
[experiment]
name = "broken"
models = 4
[attack]
targets = 1
attacks = ["rmia"]
bootstrap = 10
[executor]
poll_seconds = 0.5
sacct = "sacct -c"
[[row]]
name = "No Defense"
[[row]]
name = "Missing data"
data = {{ path = "{}" }}
)",
                                                               (dir_ / "data").string(), (dir_ / "no-such-data").string()));
  const fs::path out = dir_ / "out";
  const auto run = cwrf::testing::run_cwrf(
      fmt::format("run {} --executor slurm --out {}", (dir_ / "broken.toml").string(), out.string()));
  EXPECT_EQ(run.status, 1) << run.out;
  const SlurmState state = read_slurm_state(out / "slurm");
  ASSERT_EQ(state.jobs.size(), 10u);  // 2 rows x 4 models, 2 attacks
  int failed = 0;
  for (const auto& [key, r] : state.jobs) {
    const bool broken = r.label.find("Missing data") != std::string::npos;
    if (!broken) {
      EXPECT_TRUE(fs::exists(r.result)) << r.label << ": the independent work finishes";
      continue;
    }
    if (r.kind == "attack") {
      // Never run: Slurm cancelled it, it wrote no log and no result.
      EXPECT_THAT(run.out, HasSubstr(fmt::format("not run, because a job they need failed: '{}' (Slurm job {})",
                                                 r.label, r.slurm_id)));
      EXPECT_EQ(wait_for_end(r.slurm_id).state, "CANCELLED") << r.label;
      EXPECT_FALSE(fs::exists(r.out_log)) << r.label;
      EXPECT_FALSE(fs::exists(r.result)) << r.label;
      continue;
    }
    ++failed;
    EXPECT_THAT(run.out, HasSubstr(fmt::format("job '{}' failed: Slurm job {} FAILED (exit code 1:0); log {}: cwrf: error:",
                                               r.label, r.slurm_id, r.err_log.string())));
    EXPECT_THAT(read_file(r.err_log), HasSubstr("cwrf: error:"));
    EXPECT_FALSE(fs::exists(r.result));
  }
  EXPECT_EQ(failed, 4);
  EXPECT_FALSE(fs::exists(out / "report"));
  for (const auto& p : entries(out / "models")) EXPECT_TRUE(job::is_complete_model_dir(p)) << p;
}

TEST(SlurmCluster, FinishedJobsAsSqueueScontrolAndSacctReportThem) {
  const std::string why = slurm_unavailable();
  if (!why.empty()) GTEST_FAIL() << "slurm test cannot run: " << why;
  cwrf::testing::TempDir dir;
  auto submit = [&](const std::string& command) {
    const ProcessResult p = run_process({"sbatch", "--parsable", "--job-name=cwrf-status",
                                         "--output=" + (dir / "%j.out").string(), "--wrap=" + command});
    EXPECT_TRUE(p.ok()) << p.err;
    return parse_sbatch_id(p.out);
  };
  const std::string ok = submit("true"), bad = submit("exit 3");
  const SlurmJobStatus ok_end = wait_for_end(ok), bad_end = wait_for_end(bad);
  EXPECT_EQ(ok_end.state, "COMPLETED");  // from squeue: a job that succeeded needs no exit code
  EXPECT_EQ(bad_end.state, "FAILED");
  EXPECT_EQ(bad_end.exit_code, "3:0");
  // What the executor reads once the controller has forgotten them (MinJobAge): sacct -c.
  for (const auto& [id, state, code] : {std::tuple{ok, "COMPLETED", "0:0"}, std::tuple{bad, "FAILED", "3:0"}}) {
    std::optional<SlurmJobStatus> s;
    const auto t0 = Clock::now();
    while (!s && seconds_since(t0) < 30) {
      const ProcessResult p = run_process({"sacct", "-c", "-j", id, "-n", "-X", "-P", "-o", "JobID,State,ExitCode"});
      ASSERT_TRUE(p.ok()) << p.err;
      s = parse_sacct_job(p.out, id);
      if (!s) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_TRUE(s) << id;
    EXPECT_EQ(s->state, state);
    EXPECT_EQ(s->exit_code, code);
    EXPECT_EQ(s->phase, SlurmJobStatus::Phase::Ended);
  }
  // A job id Slurm never had: not queued, not known.
  EXPECT_EQ(query_slurm_job(test_settings(), "999999").phase, SlurmJobStatus::Phase::Unknown);
}

}  // namespace
}  // namespace cwrf::experiment
