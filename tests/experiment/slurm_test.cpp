// The Slurm executor without a cluster: its sbatch command lines, the [executor] settings, the
// parsing of squeue/scontrol/sacct, the state file, input placeholders, and whole rounds against
// fake sbatch/squeue/scontrol/scancel/sacct commands on PATH (what is submitted, waited for,
// resubmitted, reported).
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/experiment/executor.h"
#include "cwrf/experiment/experiment.h"
#include "cwrf/experiment/plan.h"
#include "cwrf/experiment/runner.h"
#include "cwrf/experiment/slurm.h"
#include "cwrf/experiment/slurm_state.h"
#include "cwrf/experiment/task.h"
#include "experiment_files.h"
#include "test_support.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cwrf::experiment {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

SlurmOptions options_in(const fs::path& root) {
  SlurmOptions o;
  o.root = root;
  o.executable = "/opt/cwrf/bin/cwrf";
  o.workdir = "/home/me/work dir";
  o.name = "tiny";
  return o;
}

bool has(const std::vector<std::string>& argv, const std::string& arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}

TEST(SlurmCommand, EverySettingBecomesAnSbatchOption) {
  SlurmOptions o = options_in("/r/slurm");
  o.settings.partition = "gpu";
  o.settings.account = "proj42";
  o.settings.time = "04:00:00";
  o.settings.gpus = 2;
  o.settings.cpus = 4;
  o.settings.memory = "16G";
  o.settings.sbatch_args = {"--qos=long", "--constraint=a100"};
  Submission s;
  s.job_name = "tiny-base-run-0-model-1";
  s.spec = "/r/slurm/specs/k.json";
  s.result = "/r/slurm/results/k.json";
  s.out_log = "/r/slurm/logs/k-%j.out";
  s.err_log = "/r/slurm/logs/k-%j.err";
  s.after = {"11", "12"};
  const auto argv = sbatch_command(o, s);
  EXPECT_EQ(argv.front(), "sbatch");
  for (const char* a : {"--parsable", "--job-name=tiny-base-run-0-model-1", "--chdir=/home/me/work dir",
                        "--output=/r/slurm/logs/k-%j.out", "--error=/r/slurm/logs/k-%j.err", "--partition=gpu",
                        "--account=proj42", "--time=04:00:00", "--gres=gpu:2", "--cpus-per-task=4", "--mem=16G",
                        "--dependency=afterok:11:12", "--kill-on-invalid-dep=yes", "--qos=long", "--constraint=a100"})
    EXPECT_TRUE(has(argv, a)) << a;
  EXPECT_EQ(argv.back(),
            "--wrap=exec env OMP_NUM_THREADS=4 OPENBLAS_NUM_THREADS=4 /opt/cwrf/bin/cwrf job --spec "
            "/r/slurm/specs/k.json --result /r/slurm/results/k.json");
  // The user's arguments come after ours (sbatch: the last one wins).
  EXPECT_GT(std::find(argv.begin(), argv.end(), "--qos=long") - argv.begin(),
            std::find(argv.begin(), argv.end(), "--partition=gpu") - argv.begin());
}

TEST(SlurmCommand, DefaultsLeaveTheClusterDefaultsAndQuotePaths) {
  SlurmOptions o = options_in("/r/slurm");
  Submission s;
  s.job_name = "j";
  s.spec = "/r/my specs/k.json";
  s.result = "/r/it's/k.json";
  s.out_log = "/r/l-%j.out";
  s.err_log = "/r/l-%j.err";
  const auto argv = sbatch_command(o, s);
  for (const char* prefix : {"--partition", "--account", "--time", "--gres", "--mem", "--dependency",
                             "--kill-on-invalid-dep"})
    for (const auto& a : argv) EXPECT_NE(a.rfind(prefix, 0), 0u) << a;
  EXPECT_TRUE(has(argv, "--cpus-per-task=1"));
  EXPECT_THAT(argv.back(), HasSubstr("--spec '/r/my specs/k.json' --result '/r/it'\\''s/k.json'"));
  EXPECT_EQ(parse_sbatch_id("4242\n"), "4242");
  EXPECT_EQ(parse_sbatch_id("4242;cluster2\n"), "4242");
  EXPECT_THROW(parse_sbatch_id("sbatch: error: Batch job submission failed\n"), Error);
}

const char* kExperiment = R"(epochs = 1
[model]
name = "cnn"
width = 4
[experiment]
models = 6
[attack]
attacks = ["rmia"]
targets = 1
[[row]]
name = "No Defense"
[[row]]
name = "CE + CWRF"
cwrf = { rate = 0.1, epochs = 1 }
)";

TEST(SlurmSettings, ExecutorTableIsTypedCheckedAndNeverPartOfAJob) {
  cwrf::testing::TempDir dir;
  cwrf::testing::write_bytes(dir / "plain.toml", kExperiment);
  cwrf::testing::write_bytes(dir / "slurm.toml", std::string(kExperiment) + R"(
[executor]
kind = "slurm"
partition = "gpu"
account = "proj42"
time = "1-12:00:00"
gpus = 1
cpus = 8
memory = "32G"
sbatch_args = ["--qos=long"]
poll_seconds = 2.5
sacct = "sacct -c"
)");
  const Experiment plain = read_experiment(dir / "plain.toml");
  const Experiment slurm = read_experiment(dir / "slurm.toml", {"executor.cpus=6"});
  EXPECT_EQ(plain.executor.get_string("executor.kind"), "local");
  const SlurmSettings s = slurm_settings(slurm.executor, "cpu");
  EXPECT_EQ(s.partition, "gpu");
  EXPECT_EQ(s.account, "proj42");
  EXPECT_EQ(s.time, "1-12:00:00");
  EXPECT_EQ(s.gpus, 1);
  EXPECT_EQ(s.cpus, 6);  // --set wins over the file
  EXPECT_EQ(s.memory, "32G");
  EXPECT_EQ(s.sbatch_args, std::vector<std::string>{"--qos=long"});
  EXPECT_DOUBLE_EQ(s.poll_seconds, 2.5);
  EXPECT_EQ(s.sacct, (std::vector<std::string>{"sacct", "-c"}));
  EXPECT_TRUE(s.wait);
  // A CUDA experiment gets a GPU per job unless it says otherwise.
  EXPECT_EQ(slurm_settings(plain.executor, "cuda").gpus, 1);
  EXPECT_EQ(slurm_settings(plain.executor, "cuda:1").gpus, 1);
  EXPECT_EQ(slurm_settings(plain.executor, "cpu").gpus, 0);
  // Where a job runs is not what it computes: the same identities, hence the same hashes.
  const Plan a = make_plan(plain), b = make_plan(slurm);
  ASSERT_EQ(a.jobs.size(), b.jobs.size());
  for (size_t j = 0; j < a.jobs.size(); ++j) EXPECT_EQ(a.jobs[j].identity, b.jobs[j].identity) << j;
  EXPECT_THAT(a.jobs[0].identity, Not(HasSubstr("executor")));
}

TEST(SlurmSettings, BadValuesAreErrorsNamingTheKeyAndFile) {
  cwrf::testing::TempDir dir;
  auto error_of = [&](const std::string& table, const std::vector<std::string>& set = {}) {
    return testing::error_of(testing::write(dir, std::string(kExperiment) + "[executor]\n" + table), set);
  };
  EXPECT_THAT(error_of("kind = \"pbs\"\n"), HasSubstr("executor.kind"));
  EXPECT_THAT(error_of("time = \"4h\"\n"), HasSubstr("[D-]HH:MM:SS"));
  EXPECT_THAT(error_of("time = \"4h\"\n"), HasSubstr("exp.toml"));
  EXPECT_THAT(error_of("memory = \"lots\"\n"), HasSubstr("executor.memory"));
  EXPECT_THAT(error_of("cpus = 0\n"), HasSubstr("executor.cpus"));
  EXPECT_THAT(error_of("poll_seconds = 0\n"), HasSubstr("executor.poll_seconds"));
  EXPECT_THAT(error_of("sacct = \" \"\n"), HasSubstr("executor.sacct"));
  EXPECT_THAT(error_of("partitions = \"gpu\"\n"), HasSubstr("executor.partitions"));
  EXPECT_THAT(error_of("", {"executor.gpus=-1"}), HasSubstr("executor.gpus"));
  // --no-wait means nothing for local jobs, which end with the run.
  cwrf::testing::write_bytes(dir / "e.toml", kExperiment);
  Experiment e = read_experiment(dir / "e.toml");
  e.executor.set("executor.wait", false, "--no-wait");
  try {
    make_executor(e, SchedulerOptions{});
    ADD_FAILURE() << "no error";
  } catch (const Error& err) {
    EXPECT_THAT(err.what(), HasSubstr("--no-wait needs the slurm executor"));
  }
  // experiment.devices spreads jobs over this machine's GPUs; a Slurm job gets its own from Slurm.
  // One error before anything is submitted (there is no sbatch on PATH to reach here).
  const Experiment spread =
      read_experiment(dir / "e.toml", {"device=cuda", "experiment.devices=0,1", "executor.kind=slurm"});
  try {
    run_experiment(spread);
    ADD_FAILURE() << "no error";
  } catch (const Error& err) {
    EXPECT_THAT(err.what(), HasSubstr("experiment.devices"));
    EXPECT_THAT(err.what(), HasSubstr("executor.gpus"));
  }
}

TEST(SlurmStatus, ParsesScontrolAndSacct) {
  const auto running = parse_scontrol_job(
      "JobId=12 JobName=tiny-x UserId=root(0) JobState=RUNNING Reason=None Dependency=(null) ExitCode=0:0 "
      "RunTime=00:00:03\n");
  ASSERT_TRUE(running);
  EXPECT_EQ(running->state, "RUNNING");
  EXPECT_EQ(running->phase, SlurmJobStatus::Phase::Active);
  const auto waiting = parse_scontrol_job("JobId=13 JobState=PENDING Reason=DependencyNeverSatisfied ExitCode=0:0");
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->reason, "DependencyNeverSatisfied");
  const auto failed = parse_scontrol_job("JobId=14 JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->phase, SlurmJobStatus::Phase::Ended);
  EXPECT_EQ(failed->exit_code, "1:0");
  EXPECT_FALSE(parse_scontrol_job("slurm_load_jobs error: Invalid job id specified"));
  const auto cancelled = parse_sacct_job("8|FAILED|3:0\n9|CANCELLED by 0|0:0\n", "9");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->state, "CANCELLED");
  EXPECT_EQ(cancelled->phase, SlurmJobStatus::Phase::Ended);
  EXPECT_FALSE(parse_sacct_job("8|FAILED|3:0\n", "9"));
  EXPECT_FALSE(parse_sacct_job("", "9"));
  const auto queue = parse_squeue_jobs("7|RUNNING|None\n8|FAILED|NonZeroExitCode\n9|PENDING|Dependency\n\n");
  ASSERT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.at("7").phase, SlurmJobStatus::Phase::Active);
  EXPECT_EQ(queue.at("8").state, "FAILED");
  EXPECT_EQ(queue.at("8").phase, SlurmJobStatus::Phase::Ended);
  EXPECT_EQ(queue.at("9").reason, "Dependency");
  EXPECT_TRUE(parse_squeue_jobs("").empty());
  for (const char* s : {"PENDING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "CONFIGURING"})
    EXPECT_TRUE(is_active_slurm_state(s)) << s;
  for (const char* s : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED"})
    EXPECT_FALSE(is_active_slurm_state(s)) << s;
}

TEST(SlurmState, RoundTripsAndRejectsGarbage) {
  cwrf::testing::TempDir dir;
  EXPECT_TRUE(read_slurm_state(dir.path()).jobs.empty());
  SlurmState s;
  SlurmRecord& r = s.jobs[slurm_job_key("identity")];
  r.label = "base · run 0 · model 1";
  r.kind = "train";
  r.slurm_id = "77";
  r.spec = dir / "specs" / "k.json";
  r.result = dir / "results" / "k.json";
  r.out_log = dir / "logs" / "k-77.out";
  r.err_log = dir / "logs" / "k-77.err";
  r.after = {"a", "b"};
  r.submissions = 2;
  r.submitted = "2026-12-01T00:00:00Z";
  write_slurm_state(dir.path(), s);
  const SlurmState back = read_slurm_state(dir.path());
  ASSERT_EQ(back.jobs.size(), 1u);
  const SlurmRecord& b = back.jobs.begin()->second;
  EXPECT_EQ(back.jobs.begin()->first, slurm_job_key("identity"));
  EXPECT_EQ(b.label, r.label);
  EXPECT_EQ(b.slurm_id, "77");
  EXPECT_EQ(b.err_log, r.err_log);
  EXPECT_EQ(b.after, r.after);
  EXPECT_EQ(b.submissions, 2);
  EXPECT_NE(slurm_job_key("identity"), slurm_job_key("identity2"));
  cwrf::testing::write_bytes(dir / "state.json", "{not json");
  EXPECT_THROW(read_slurm_state(dir.path()), Error);
}

TEST(SlurmTask, PlaceholdersBecomeTheInputsDirectories) {
  cwrf::testing::TempDir dir;
  const fs::path result = dir / "results" / "k.json";
  const nlohmann::json spec = {{"kind", "cwrf"},
                               {"parent", input_placeholder(result)},
                               {"models", {input_placeholder(result), "/plain"}},
                               {"scores", input_placeholder(result) + "/scores"},
                               {"n", 3}};
  try {
    resolve_input_placeholders(spec);
    ADD_FAILURE() << "no error for a missing input";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(result.string()));
    EXPECT_THAT(e.what(), HasSubstr("has not finished"));
  }
  write_file_atomic(result, R"({"dir": "/runs/models/cnn-ce-m0-abc", "reused": false, "result": {}})");
  const nlohmann::json resolved = resolve_input_placeholders(spec);
  EXPECT_EQ(resolved.at("parent"), "/runs/models/cnn-ce-m0-abc");
  EXPECT_EQ(resolved.at("models"), (nlohmann::json{"/runs/models/cnn-ce-m0-abc", "/plain"}));
  EXPECT_EQ(resolved.at("scores"), "/runs/models/cnn-ce-m0-abc/scores");
  EXPECT_EQ(resolved.at("n"), 3);
}

// ---- Whole rounds against fake Slurm commands ----

// sbatch prints the next id and keeps its arguments in F/sbatch-ID (one per line); a job's state
// is F/state-ID ("JobState=... Reason=... ExitCode=..."; default PENDING on a dependency), which
// squeue (-j ID,ID,...; each call's list appended to F/squeue-calls) and scontrol show, unless
// F/gone-ID exists (the controller has forgotten it: squeue leaves it out, and says "Invalid job
// id" when it is the only one; scontrol says so); sacct prints F/acct-ID; scancel appends its ids
// to F/cancelled.
class FakeSlurm : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path bin = dir_ / "bin";
    fake_ = dir_ / "fake";
    fs::create_directories(bin);
    fs::create_directories(fake_);
    script(bin / "sbatch", R"SH([ -e "$F/sbatch-refuses" ] && { echo "sbatch: error: invalid partition specified: gpu" >&2; exit 1; }
n=$(cat "$F/next" 2>/dev/null || echo 100); echo $((n + 1)) > "$F/next"
printf '%s\n' "$@" > "$F/sbatch-$n"; echo "$n")SH");
    script(bin / "squeue", R"SH([ -e "$F/down" ] && { echo "squeue: error: Unable to contact slurm controller (connect failure)" >&2; exit 1; }
while [ $# -gt 0 ]; do [ "$1" = -j ] && list=$2; shift; done
echo "$list" >> "$F/squeue-calls"
n=0
for id in $(echo "$list" | tr , ' '); do
  [ -e "$F/gone-$id" ] && continue
  n=$((n + 1))
  t="JobState=PENDING Reason=Dependency ExitCode=0:0"
  [ -e "$F/state-$id" ] && t=$(cat "$F/state-$id")
  echo "$id|$(echo "$t" | sed -n 's/.*JobState=\([^ ]*\).*/\1/p')|$(echo "$t" | sed -n 's/.*Reason=\([^ ]*\).*/\1/p')"
done
case $list in *,*) ;; *) if [ $n = 0 ]; then echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; fi ;; esac
exit 0)SH");
    script(bin / "scontrol", R"SH(id=$5
if [ -e "$F/gone-$id" ]; then echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; fi
if [ -e "$F/state-$id" ]; then echo "JobId=$id $(cat "$F/state-$id")"; else echo "JobId=$id JobState=PENDING Reason=Dependency ExitCode=0:0"; fi)SH");
    script(bin / "scancel", R"SH(for id in "$@"; do echo "$id" >> "$F/cancelled"; done)SH");
    script(bin / "sacct", R"SH(while [ $# -gt 0 ]; do [ "$1" = -j ] && list=$2; shift; done
for id in $(echo "$list" | tr , ' '); do [ -e "$F/acct-$id" ] && echo "$id|$(cat "$F/acct-$id")"; done; exit 0)SH");
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "/usr/bin:/bin";
    ::setenv("PATH", (bin.string() + ":" + old_path_).c_str(), 1);
    ::setenv("F", fake_.c_str(), 1);

    // base 0, base 1 -> cwrf 2 (from 0) -> attack 3 (0, 1, 2)
    for (int j = 0; j < 4; ++j) {
      PlannedJob job;
      job.kind = j < 2 ? "train" : j == 2 ? "cwrf" : "attack";
      job.label = fmt::format("job {}", j);
      job.identity = fmt::format("identity-{}", j);
      plan_.jobs.push_back(job);
    }
    plan_.jobs[2].inputs = {0};
    plan_.jobs[3].inputs = {0, 1, 2};
    options_ = options_in(dir_ / "out" / "slurm");
    options_.settings.poll_seconds = 0.01;
    options_.settings.result_grace_seconds = 0;
  }

  void TearDown() override { ::setenv("PATH", old_path_.c_str(), 1); }

  void script(const fs::path& path, const std::string& body) {
    cwrf::testing::write_bytes(path, "#!/bin/sh\n" + body + "\n");
    fs::permissions(path, fs::perms::owner_all);
  }

  // The spec names the inputs' directories as the runner's job_spec does: from `results`.
  std::function<nlohmann::json(int)> spec_fn() {
    return [this](int j) {
      nlohmann::json inputs = nlohmann::json::array();
      for (int i : plan_.jobs[j].inputs) inputs.push_back(results_[i].dir.string());
      return nlohmann::json{{"kind", plan_.jobs[j].kind}, {"inputs", inputs}};
    };
  }

  // `callbacks` may bring on_start, on_event and on_queue; on_done and log are the fixture's.
  RoundOutcome round(bool wait, std::vector<int>* done = nullptr, SchedulerCallbacks callbacks = {}) {
    options_.settings.wait = wait;
    SlurmExecutor executor(options_);
    callbacks.on_done = [done](int j, const JobResult&) {
      if (done) done->push_back(j);
    };
    callbacks.log = [this](const std::string& line) { log_ += line + "\n"; };
    return executor.run(plan_, results_, spec_fn(), callbacks);
  }

  fs::path root() const { return options_.root; }
  std::string key(int j) const { return slurm_job_key(plan_.jobs[j].identity); }
  std::string id(int j) const { return read_slurm_state(root()).jobs.at(key(j)).slurm_id; }
  std::vector<std::string> sbatch_args(const std::string& id) const {
    std::vector<std::string> lines;
    std::ifstream in(fake_ / ("sbatch-" + id));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  int submissions() const {
    int n = 0;
    for (const auto& e : fs::directory_iterator(fake_)) n += e.path().filename().string().rfind("sbatch-", 0) == 0;
    return n;
  }
  void set_state(const std::string& id, const std::string& text) {
    cwrf::testing::write_bytes(fake_ / ("state-" + id), text);
  }
  void finish(int j) {  // what a task writes when it succeeds
    const fs::path out = dir_ / "out" / "models" / fmt::format("m{}", j);
    fs::create_directories(out);
    write_file_atomic(root() / "results" / (key(j) + ".json"),
                      nlohmann::json{{"dir", out.string()}, {"reused", false}, {"result", {{"j", j}}}}.dump());
  }
  std::vector<std::string> squeue_calls() const {
    std::vector<std::string> lines;
    std::ifstream in(fake_ / "squeue-calls");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::string cancelled() const {
    std::error_code ec;
    return fs::exists(fake_ / "cancelled", ec) ? read_file(fake_ / "cancelled") : "";
  }

  cwrf::testing::TempDir dir_;
  fs::path fake_;
  Plan plan_;
  std::vector<JobResult> results_;
  SlurmOptions options_;
  std::string log_;
  std::string old_path_;
};

TEST_F(FakeSlurm, SubmitsEveryJobWithItsDependenciesAndReturnsWithoutWaiting) {
  const RoundOutcome first = round(false);
  EXPECT_FALSE(first.complete);
  EXPECT_THAT(first.pending, HasSubstr("4 of 4 jobs not finished"));
  EXPECT_THAT(first.pending, HasSubstr("100-103"));
  EXPECT_EQ(submissions(), 4);
  EXPECT_FALSE(has(sbatch_args(id(0)), "--kill-on-invalid-dep=yes"));
  EXPECT_TRUE(has(sbatch_args(id(2)), "--dependency=afterok:" + id(0)));
  EXPECT_TRUE(has(sbatch_args(id(3)), fmt::format("--dependency=afterok:{}:{}:{}", id(0), id(1), id(2))));
  EXPECT_TRUE(has(sbatch_args(id(3)), "--kill-on-invalid-dep=yes"));
  // The spec names unfinished inputs by their result files, for the task to resolve.
  const auto spec = nlohmann::json::parse(read_file(root() / "specs" / (key(3) + ".json")));
  EXPECT_EQ(spec.at("inputs").at(1), input_placeholder(root() / "results" / (key(1) + ".json")));
  EXPECT_EQ(spec.at("threads"), 1);
  const SlurmState state = read_slurm_state(root());
  ASSERT_EQ(state.jobs.size(), 4u);
  EXPECT_EQ(state.jobs.at(key(3)).after, (std::vector<std::string>{key(0), key(1), key(2)}));
  EXPECT_EQ(state.jobs.at(key(3)).err_log, root() / "logs" / (key(3) + "-" + id(3) + ".err"));
  EXPECT_TRUE(fs::is_directory(root() / "logs"));  // Slurm does not create it

  // Again while all are queued: nothing is submitted twice.
  const RoundOutcome second = round(false);
  EXPECT_FALSE(second.complete);
  EXPECT_EQ(submissions(), 4);
  EXPECT_THAT(second.pending, HasSubstr("4 queued or running from before"));
}

TEST_F(FakeSlurm, ARerunResubmitsTheFailedJobAndItsDependentsOnly) {
  round(false);
  const std::string id0 = id(0), id1 = id(1), id2 = id(2), id3 = id(3);
  finish(0);
  set_state(id1, "JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0");
  set_state(id2, "JobState=RUNNING Reason=None ExitCode=0:0");
  std::vector<int> done;
  const RoundOutcome again = round(false, &done);
  EXPECT_FALSE(again.complete);
  EXPECT_EQ(done, std::vector<int>{0});  // found finished
  EXPECT_TRUE(results_[0].done);
  EXPECT_TRUE(results_[0].reused);
  EXPECT_EQ(id(0), id0);
  EXPECT_EQ(id(2), id2);  // running on an input that stays: waited for
  EXPECT_NE(id(1), id1);  // failed: submitted again
  EXPECT_NE(id(3), id3);  // queued on the failed one: cancelled, submitted again
  EXPECT_THAT(cancelled(), HasSubstr(id3));
  EXPECT_THAT(cancelled(), Not(HasSubstr(id2)));
  EXPECT_EQ(submissions(), 6);
  EXPECT_EQ(read_slurm_state(root()).jobs.at(key(1)).submissions, 2);
  // The new attack job waits for the new job 1 and the old job 2; job 0 is done, its directory real.
  EXPECT_TRUE(has(sbatch_args(id(3)), fmt::format("--dependency=afterok:{}:{}", id(1), id2)));
  const auto spec = nlohmann::json::parse(read_file(root() / "specs" / (key(3) + ".json")));
  EXPECT_EQ(spec.at("inputs").at(0), results_[0].dir.string());
}

TEST_F(FakeSlurm, WaitsUntilEveryJobHasItsResult) {
  round(false);
  for (int j = 0; j < 4; ++j) finish(j);
  std::vector<int> done;
  const RoundOutcome outcome = round(true, &done);
  EXPECT_TRUE(outcome.complete);
  EXPECT_EQ(done.size(), 4u);
  for (int j = 0; j < 4; ++j) {
    EXPECT_TRUE(results_[j].done) << j;
    EXPECT_EQ(results_[j].result.at("j"), j);
  }
  EXPECT_EQ(submissions(), 4);
}

TEST_F(FakeSlurm, AFailureNamesTheJobIdLogAndTheDependentsNotRun) {
  round(false);
  const std::string id1 = id(1), id3 = id(3);
  finish(0);
  finish(2);
  set_state(id1, "JobState=RUNNING Reason=None ExitCode=0:0");
  options_.settings.sacct = {"sacct", "-c"};
  // While the run waits, job 1 fails, and the controller forgets it (MinJobAge): sacct says how it ended.
  SchedulerCallbacks callbacks;
  int polls = 0;
  callbacks.on_queue = [&](const std::string&) {
    if (++polls != 1) return;
    cwrf::testing::write_bytes(read_slurm_state(root()).jobs.at(key(1)).err_log,
                               "some chatter\ncwrf: error: file not found: /nowhere/train-images\n");
    cwrf::testing::write_bytes(fake_ / ("gone-" + id1), "");
    cwrf::testing::write_bytes(fake_ / ("acct-" + id1), "FAILED|1:0");
  };
  try {
    round(true, nullptr, callbacks);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("job 'job 1' failed: Slurm job " + id1 + " FAILED (exit code 1:0)"));
    EXPECT_THAT(what, HasSubstr("log " + read_slurm_state(root()).jobs.at(key(1)).err_log.string() +
                                ": cwrf: error: file not found: /nowhere/train-images"));
    EXPECT_THAT(what, HasSubstr("not run, because a job they need failed: 'job 3' (Slurm job " + id3 + ")"));
    EXPECT_THAT(what, HasSubstr("run the same command again"));
  }
  EXPECT_EQ(polls, 2);
  EXPECT_THAT(log_, HasSubstr("job 'job 1' failed"));  // said at once, not only at the end
  EXPECT_THAT(cancelled(), HasSubstr(id3));          // never left pending
  EXPECT_TRUE(results_[0].done);
  EXPECT_TRUE(results_[2].done);
  EXPECT_FALSE(results_[3].done);
  EXPECT_EQ(submissions(), 4);  // a waiting run resubmits nothing; the next run does
  round(false);
  EXPECT_NE(id(1), id1);
  EXPECT_NE(id(3), id3);
  EXPECT_EQ(submissions(), 6);
}

TEST_F(FakeSlurm, ACompletedJobWithoutAResultFailsAfterTheGracePeriod) {
  round(false);
  for (int j : {0, 2, 3}) finish(j);
  set_state(id(1), "JobState=RUNNING Reason=None ExitCode=0:0");
  SchedulerCallbacks callbacks;
  callbacks.on_queue = [&](const std::string&) { set_state(id(1), "JobState=COMPLETED Reason=None ExitCode=0:0"); };
  try {
    round(true, nullptr, callbacks);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("COMPLETED without writing its result file"));
  }
}

TEST_F(FakeSlurm, WaitingAsksTheQueueOnceAPollAndShowsItsProgress) {
  round(false);
  const std::string id0 = id(0), id1 = id(1), id2 = id(2), id3 = id(3);
  set_state(id0, "JobState=RUNNING Reason=None ExitCode=0:0");
  set_state(id1, "JobState=RUNNING Reason=None ExitCode=0:0");
  cwrf::testing::write_bytes(read_slurm_state(root()).jobs.at(key(0)).out_log,
                             "{\"batch\":1,\"batches\":2,\"epoch\":0,\"epochs\":2,\"event\":\"progress\"}\nnot json\n");
  std::vector<std::string> summaries;
  std::vector<int> started, events;
  SchedulerCallbacks callbacks;
  callbacks.on_start = [&](int j) { started.push_back(j); };
  callbacks.on_event = [&](int j, const nlohmann::json& e) {
    if (e.value("event", "") == "progress") events.push_back(j);
  };
  // Each poll ends with the queue's counts; the tasks move on between polls.
  callbacks.on_queue = [&](const std::string& summary) {
    summaries.push_back(summary);
    if (summaries.size() == 1) {
      finish(0);
      finish(1);
      set_state(id0, "JobState=COMPLETED Reason=None ExitCode=0:0");
      set_state(id1, "JobState=COMPLETED Reason=None ExitCode=0:0");
      set_state(id2, "JobState=RUNNING Reason=None ExitCode=0:0");
    } else if (summaries.size() == 2) {
      finish(2);
      finish(3);
    }
  };
  std::vector<int> done;
  const RoundOutcome outcome = round(true, &done, callbacks);
  EXPECT_TRUE(outcome.complete);
  EXPECT_EQ(done, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(events, std::vector<int>{0});  // job 0's progress line, read from its log
  EXPECT_EQ(summaries, (std::vector<std::string>{"Slurm: 0/4 done, 2 running, 2 queued",
                                                 "Slurm: 2/4 done, 1 running, 1 queued",
                                                 "Slurm: 4/4 done, 0 running, 0 queued"}));
  // One squeue for the whole queue: deciding what to submit, then once a poll for what is left.
  const std::string all = fmt::format("{},{},{},{}", id0, id1, id2, id3);
  EXPECT_EQ(squeue_calls(), (std::vector<std::string>{all, all, all, id2 + "," + id3}));
  EXPECT_EQ(submissions(), 4);
}

TEST_F(FakeSlurm, ALostOrStuckJobIsSubmittedAgain) {
  round(false);
  const std::string id1 = id(1), id2 = id(2), id3 = id(3);
  finish(0);
  cwrf::testing::write_bytes(fake_ / ("gone-" + id1), "");  // forgotten, and sacct has no record
  set_state(id2, "JobState=PENDING Reason=DependencyNeverSatisfied ExitCode=0:0");
  round(false);
  EXPECT_NE(id(1), id1);
  EXPECT_NE(id(2), id2);
  EXPECT_NE(id(3), id3);  // it needs the new job 1
  EXPECT_THAT(cancelled(), HasSubstr(id2));  // never left pending forever
  // Job 0 is done: the new job 2 depends on nothing, and its spec names job 0's directory.
  for (const auto& a : sbatch_args(id(2))) EXPECT_NE(a.rfind("--dependency", 0), 0u) << a;
  const auto spec = nlohmann::json::parse(read_file(root() / "specs" / (key(2) + ".json")));
  EXPECT_EQ(spec.at("inputs").at(0), results_[0].dir.string());
  EXPECT_EQ(submissions(), 7);
}

TEST_F(FakeSlurm, AnUnreachableControllerOrARefusedSubmissionIsAnErrorThatSubmitsNothingTwice) {
  round(false);
  cwrf::testing::write_bytes(fake_ / "down", "");
  try {
    round(false);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot ask Slurm about job 'job 0'"));
    EXPECT_THAT(e.what(), HasSubstr("Unable to contact slurm controller"));
  }
  EXPECT_EQ(submissions(), 4);
  fs::remove(fake_ / "down");

  // A fresh experiment: sbatch refuses the first job; nothing is recorded as submitted.
  options_.root = dir_ / "other" / "slurm";
  cwrf::testing::write_bytes(fake_ / "sbatch-refuses", "");
  try {
    round(false);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("sbatch failed for job 'job 0' (exit status 1): sbatch: error: invalid partition"));
  }
  EXPECT_TRUE(read_slurm_state(options_.root).jobs.empty());
}

}  // namespace
}  // namespace cwrf::experiment
