#include "cwrf/common/device.h"
#include "cwrf/common/error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf {
namespace {

TEST(Device, SyntaxAcceptsCpuCudaAndIndexedCuda) {
  for (const char* ok : {"cpu", "cuda", "cuda:0", "cuda:7", "cuda:15"}) EXPECT_EQ(device_syntax_error(ok), "") << ok;
  for (const char* bad : {"", "gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "cuda:1:2", "cpu:0", "cuda0", "mps"})
    EXPECT_NE(device_syntax_error(bad).find("expected cpu, cuda or cuda:N"), std::string::npos) << bad;
}

TEST(Device, CpuParses) { EXPECT_EQ(parse_device("cpu", "device = \"cpu\""), torch::Device(torch::kCPU)); }

TEST(Device, CudaWithoutAGpuIsOneClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this LibTorch sees a GPU";
  EXPECT_NE(cuda_unavailable_reason(), "");
  for (const char* name : {"cuda", "cuda:1"}) {
    try {
      parse_device(name, "--device " + std::string(name));
      ADD_FAILURE() << name;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("--device " + std::string(name) + " but this LibTorch has no CUDA (a CPU-only build", 0), 0u)
          << what;
      EXPECT_NE(what.find("or use device = \"cpu\""), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  // A malformed name is a syntax error before CUDA is asked.
  EXPECT_THROW(parse_device("gpu", "--device gpu"), Error);
}

TEST(Device, ToDeviceKeepsATensorAlreadyThere) {
  const torch::Tensor t = torch::arange(5);
  EXPECT_TRUE(to_device(t, torch::Device(torch::kCPU)).is_same(t));
}

}  // namespace
}  // namespace cwrf
