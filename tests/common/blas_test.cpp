// The BLAS core selection (common/blas.h): the decision for every situation, the GEMM self-check,
// the thread pool read back, and what `cwrf --version` reports on this machine.
#include "cwrf/common/blas.h"
#include "cwrf/common/threads.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

namespace cwrf::blas {
namespace {

CpuFeatures avx512() {
  CpuFeatures f;
  f.avx2 = f.fma = f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = f.avx512cd = true;
  return f;
}
CpuFeatures avx2() {
  CpuFeatures f;
  f.avx2 = f.fma = true;
  return f;
}

TEST(BlasCore, PreferredCoreOnlyReplacesGenericOnes) {
  EXPECT_EQ(preferred_core("Prescott", avx512()), "SkylakeX");  // family 6 model 207 on OpenBLAS 0.3.21
  EXPECT_EQ(preferred_core("Prescott", avx2()), "Haswell");
  EXPECT_EQ(preferred_core("Nehalem", avx2()), "Haswell");
  EXPECT_EQ(preferred_core("Prescott", CpuFeatures{}), "");  // an SSE3 machine: Prescott is right
  EXPECT_EQ(preferred_core("SkylakeX", avx512()), "");        // OpenBLAS knew the CPU
  EXPECT_EQ(preferred_core("Haswell", avx512()), "");         // a deliberate choice (e.g. Zen), not a fallback
  EXPECT_EQ(preferred_core("Zen", avx2()), "");
  CpuFeatures partial = avx512();
  partial.avx512vl = false;
  EXPECT_EQ(preferred_core("Prescott", partial), "Haswell");  // SkylakeX kernels need all of F/BW/VL/DQ/CD
}

Situation on(const std::string& core, const CpuFeatures& f, std::map<std::string, std::string> env = {},
             double gemm = 0.0, int* gemm_calls = nullptr) {
  Situation s;
  s.library_core = core;
  s.features = f;
  s.env = std::move(env);
  s.gemm_error = [gemm, gemm_calls] {
    if (gemm_calls) ++*gemm_calls;
    return gemm;
  };
  return s;
}

TEST(BlasCore, DecisionsAlongTheWholePath) {
  // 1. A generic core on an AVX-512 CPU: run again asking for SkylakeX, remembering the original.
  Decision d = decide(on("Prescott", avx512()));
  EXPECT_TRUE(d.reexec);
  EXPECT_EQ(d.set.at("OPENBLAS_CORETYPE"), "SkylakeX");
  EXPECT_EQ(d.set.at("CWRF_BLAS_SELECTED"), "SkylakeX");
  EXPECT_EQ(d.set.at("CWRF_BLAS_DETECTED"), "Prescott");
  // 2. Running on it: the GEMM self-check passes once, and is recorded for the child jobs.
  int calls = 0;
  const std::map<std::string, std::string> selected = {
      {"OPENBLAS_CORETYPE", "SkylakeX"}, {"CWRF_BLAS_SELECTED", "SkylakeX"}, {"CWRF_BLAS_DETECTED", "Prescott"}};
  d = decide(on("SkylakeX", avx512(), selected, 1e-7, &calls));
  EXPECT_FALSE(d.reexec);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(d.set.at("CWRF_BLAS_VERIFIED"), "SkylakeX");
  EXPECT_TRUE(d.warning.empty());
  // 3. A child job of that process: no second check.
  auto verified = selected;
  verified["CWRF_BLAS_VERIFIED"] = "SkylakeX";
  calls = 0;
  d = decide(on("SkylakeX", avx512(), verified, 1.0, &calls));
  EXPECT_FALSE(d.reexec);
  EXPECT_EQ(calls, 0);
  // 4. The self-check fails: back to the library's own core, with a reason to print once.
  d = decide(on("SkylakeX", avx512(), selected, 0.5));
  EXPECT_TRUE(d.reexec);
  EXPECT_EQ(d.set.at("OPENBLAS_CORETYPE"), "Prescott");
  EXPECT_NE(std::find(d.unset.begin(), d.unset.end(), "CWRF_BLAS_SELECTED"), d.unset.end());
  const std::string why = d.set.at("CWRF_BLAS_REJECTED");
  EXPECT_NE(why.find("SkylakeX kernels failed cwrf's GEMM self-check"), std::string::npos) << why;
  // ... and the restarted process says it, and chooses nothing again.
  d = decide(on("Prescott", avx512(), {{"OPENBLAS_CORETYPE", "Prescott"}, {"CWRF_BLAS_REJECTED", why}}));
  EXPECT_FALSE(d.reexec);
  EXPECT_EQ(d.warning, why);
  EXPECT_EQ(d.set.at("CWRF_BLAS_SETTLED"), "1");
  // 5. The user's OPENBLAS_CORETYPE is never overridden; a known CPU needs nothing.
  EXPECT_FALSE(decide(on("Prescott", avx512(), {{"OPENBLAS_CORETYPE", "Prescott"}})).reexec);
  EXPECT_FALSE(decide(on("SkylakeX", avx512())).reexec);
  EXPECT_FALSE(decide(on("", avx512())).reexec);  // not OpenBLAS
}

TEST(BlasCore, GemmSelfCheckAgreesHereAndCatchesAWrongProduct) {
  EXPECT_LE(gemm_error(), kGemmTolerance);  // this machine's kernels
  // A product wrong in one entry of one shape, as a broken kernel's edge case would be.
  const double error = gemm_error([](const torch::Tensor& a, const torch::Tensor& b) {
    torch::Tensor c = torch::mm(a, b);
    if (a.size(0) == 97) c[96][52] += 0.01 * c[96][52].abs() + 1e-3;
    return c;
  });
  EXPECT_GT(error, kGemmTolerance);
  // Rounding at float32's precision passes.
  EXPECT_LE(gemm_error([](const torch::Tensor& a, const torch::Tensor& b) {
              return torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64)).to(torch::kFloat32);
            }),
            kGemmTolerance);
}

TEST(BlasThreads, PoolFollowsTheThreadCountAndChildJobsInheritIt) {
  if (info().library.empty()) GTEST_SKIP() << "LibTorch's BLAS is not OpenBLAS here";
  const int before = torch::get_num_threads();
  apply_thread_count(1);
  EXPECT_EQ(threads(), 1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  apply_thread_count(2);
  EXPECT_EQ(threads(), 2);
  apply_thread_count(before);
  const std::vector<std::string> env = job_environment(3);
  EXPECT_EQ(std::count(env.begin(), env.end(), "OPENBLAS_NUM_THREADS=3"), 1);
  EXPECT_EQ(std::count(env.begin(), env.end(), "OMP_NUM_THREADS=3"), 1);
  EXPECT_EQ(std::count_if(env.begin(), env.end(), [](const std::string& e) { return e.rfind("OPENBLAS_NUM_THREADS=", 0) == 0; }),
            1);
}

// `cwrf --version` names the core the program runs: the library's own choice where it knows the
// CPU, the one cwrf selects where OpenBLAS falls back to a generic core.
TEST(BlasCore, VersionNamesTheCoreInUse) {
  const Info here = info();  // this test process never re-executes: the library's own choice
  if (here.library.empty()) GTEST_SKIP() << "not OpenBLAS";
  const testing::Invocation r = testing::run_cwrf("--version");
  ASSERT_EQ(r.status, 0) << r.out;
  const char* user = std::getenv("OPENBLAS_CORETYPE");
  const std::string better = user ? "" : preferred_core(here.core, cpu_features());
  const std::string expected = better.empty() ? fmt::format("core {} (chosen by {})", here.core, here.chosen_by)
                                              : fmt::format("core {} (chosen by cwrf)", better);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out << "\nexpected: " << expected;
}

}  // namespace
}  // namespace cwrf::blas
