#include "cwrf/common/error.h"
#include "cwrf/common/npy.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf {
namespace {

TEST(Npy, RoundTripsEveryDtype) {
  testing::TempDir dir;
  for (auto type : {torch::kBool, torch::kUInt8, torch::kInt32, torch::kInt64, torch::kFloat32, torch::kFloat64}) {
    torch::Tensor t = (torch::arange(24) % 7).reshape({2, 3, 4}).to(type);
    save_npy(dir / "a.npy", t);
    torch::Tensor back = load_npy(dir / "a.npy");
    EXPECT_EQ(back.scalar_type(), type);
    EXPECT_TRUE(torch::equal(back, t));
  }
}

TEST(Npy, HeaderIsWhatNumpyWrites) {
  // numpy.save(f, np.zeros(3, dtype='<f8')) writes exactly this 128-byte header + 24 bytes.
  std::string bytes = encode_npy(torch::zeros({3}, torch::kFloat64));
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(bytes.substr(10, 60), "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }   ");
  EXPECT_EQ(bytes[127], '\n');
}

TEST(Npy, TruncatedFileIsAClearError) {
  testing::TempDir dir;
  std::string bytes = encode_npy(torch::ones({10}, torch::kFloat32));
  testing::write_bytes(dir / "t.npy", bytes.substr(0, bytes.size() - 4));
  try {
    load_npy(dir / "t.npy");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.npy"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
  }
}

}  // namespace
}  // namespace cwrf
