// Spreading an experiment's jobs over GPUs: which device each worker slot uses, how many jobs run
// at once, and that a worker's jobs really carry its device (a fake worker echoes it back).
#include "cwrf/experiment/runner.h"
#include "cwrf/experiment/scheduler.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace cwrf::experiment {
namespace {

TEST(SlotDevice, RoundRobinOverTheGivenGpus) {
  EXPECT_EQ(slot_device(0, {}), "");
  EXPECT_EQ(slot_device(5, {}), "");
  const std::vector<int64_t> two = {0, 1};
  const std::vector<std::string> expected = {"cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"};
  for (int64_t s = 0; s < 5; ++s) EXPECT_EQ(slot_device(s, two), expected[static_cast<size_t>(s)]) << s;
  for (int64_t s = 0; s < 4; ++s) EXPECT_EQ(slot_device(s, {3}), "cuda:3");
  // Any indices, in the order given (a user leaving GPU 0 to someone else).
  EXPECT_EQ(slot_device(0, {2, 5, 7}), "cuda:2");
  EXPECT_EQ(slot_device(4, {2, 5, 7}), "cuda:5");
  EXPECT_THROW(slot_device(-1, two), std::logic_error);
}

TEST(SlotDevice, JobsPerGpuTimesGpusWorkersGiveEachGpuItsShare) {
  for (int64_t per_gpu : {1, 2, 3}) {
    const std::vector<int64_t> gpus = {0, 1, 2, 3};
    const int64_t parallel = parallel_jobs(per_gpu, /*cuda=*/true, gpus.size(), /*threads=*/16);
    ASSERT_EQ(parallel, per_gpu * 4);
    std::map<std::string, int64_t> per_device;
    for (int64_t s = 0; s < parallel; ++s) ++per_device[slot_device(s, gpus)];
    ASSERT_EQ(per_device.size(), 4u);
    for (const auto& [device, n] : per_device) EXPECT_EQ(n, per_gpu) << device;
  }
}

TEST(ParallelJobs, CpuDefaultsToOnePerThreadCudaToOnePerGpu) {
  EXPECT_EQ(parallel_jobs(0, false, 0, 2), 2);
  EXPECT_EQ(parallel_jobs(3, false, 0, 2), 3);
  EXPECT_EQ(parallel_jobs(0, false, 2, 8), 8);   // GPUs do not matter on the CPU
  EXPECT_EQ(parallel_jobs(0, true, 0, 16), 1);   // one GPU (device = "cuda"), one job
  EXPECT_EQ(parallel_jobs(4, true, 0, 16), 4);   // --jobs 4 --device cuda: 4 on that GPU
  EXPECT_EQ(parallel_jobs(0, true, 2, 16), 2);   // --devices 0,1: one per GPU
  EXPECT_EQ(parallel_jobs(3, true, 2, 16), 6);   // --devices 0,1 --jobs 3: 3 per GPU
}

// A stand-in for `cwrf job --worker`: for each spec path it reads, it reports the spec's top-level
// device (the spec is written with dump(2): top-level keys are indented by two spaces).
std::filesystem::path fake_worker(const testing::TempDir& dir) {
  const auto path = dir / "fake-worker.sh";
  testing::write_bytes(path,
                       "#!/bin/sh\n"
                       "while read -r spec; do\n"
                       "  d=$(grep '^  \"device\": ' \"$spec\" | cut -d'\"' -f4)\n"
                       "  echo \"{\\\"event\\\":\\\"done\\\",\\\"dir\\\":\\\"/nowhere\\\",\\\"reused\\\":false,"
                       "\\\"result\\\":{\\\"device\\\":\\\"$d\\\"}}\"\n"
                       "done\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

Plan independent_jobs(int n) {
  Plan plan;
  for (int j = 0; j < n; ++j) {
    PlannedJob job;
    job.kind = "train";
    job.label = "job " + std::to_string(j);
    job.identity = job.label;
    plan.jobs.push_back(job);
  }
  return plan;
}

TEST(RunJobs, EachWorkerRunsItsJobsOnItsGpu) {
  testing::TempDir dir;
  const Plan plan = independent_jobs(8);
  SchedulerOptions options;
  options.executable = fake_worker(dir);
  options.spec_dir = dir / "jobs";
  options.parallel = 4;  // 2 per GPU
  options.gpus = {0, 1};
  std::vector<JobResult> results;
  run_jobs(plan, results, [](int) { return nlohmann::json{{"kind", "train"}, {"config", {{"device", "cuda"}}}}; },
           options);
  ASSERT_EQ(results.size(), 8u);
  std::set<std::string> seen;
  for (const JobResult& r : results) {
    ASSERT_TRUE(r.done);
    seen.insert(r.result.at("device").get<std::string>());
  }
  // The first four jobs go to the four new workers in slot order; the rest to whichever is free.
  EXPECT_EQ(results[0].result.at("device"), "cuda:0");
  EXPECT_EQ(results[1].result.at("device"), "cuda:1");
  EXPECT_EQ(results[2].result.at("device"), "cuda:0");
  EXPECT_EQ(results[3].result.at("device"), "cuda:1");
  EXPECT_EQ(seen, (std::set<std::string>{"cuda:0", "cuda:1"}));
}

TEST(RunJobs, WithoutGpusTheSpecKeepsItsOwnDevice) {
  testing::TempDir dir;
  const Plan plan = independent_jobs(2);
  SchedulerOptions options;
  options.executable = fake_worker(dir);
  options.spec_dir = dir / "jobs";
  options.parallel = 2;
  std::vector<JobResult> results;
  run_jobs(plan, results, [](int) { return nlohmann::json{{"kind", "attack"}, {"device", "cpu"}}; }, options);
  for (const JobResult& r : results) EXPECT_EQ(r.result.at("device"), "cpu");
}

}  // namespace
}  // namespace cwrf::experiment
