// The cwrf program as a user meets it: help, errors as one line with a non-zero exit,
// and a tiny training run end to end.
#include "test_support.h"

#include <gtest/gtest.h>

#include <string>

namespace cwrf {
namespace {

using cwrf::testing::Invocation;
using cwrf::testing::run_cwrf;

TEST(Cli, HelpListsTheCommands) {
  const Invocation r = run_cwrf("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("train"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("config"), std::string::npos) << r.out;
}

TEST(Cli, UnknownKeyIsOneLineAndExitOne) {
  const Invocation r = run_cwrf("train --set modle.width=3");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.rfind("cwrf: error: unknown config key 'modle.width'", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

TEST(Cli, BadValueAndMissingDataAreNamed) {
  // A shortcut flag names itself; --set names the key and the assignment.
  EXPECT_NE(run_cwrf("train --epochs many").out.find("cwrf: error: --epochs must be an integer, got 'many'"),
            std::string::npos);
  EXPECT_NE(run_cwrf("train --set epochs=0").out.find("config key 'epochs' must be >= 1, got 0 (from --set epochs=0)"),
            std::string::npos);
  cwrf::testing::TempDir dir;
  const Invocation r = run_cwrf("train --set data.name=idx --set data.path=" + dir.path().string() + " --out " +
                         (dir / "runs").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("train-images-idx3-ubyte.gz"), std::string::npos) << r.out;
}

TEST(Cli, CudaOnACpuBuildIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this LibTorch sees a GPU";
  // Debian's LibTorch has no CUDA: the single model, the experiment (also spread over GPUs) and the
  // benchmark stop before any work, with one line that names what the user wrote.
  cwrf::testing::TempDir dir;
  const std::string quick = std::string(CWRF_SOURCE_DIR) + "/configs/quick.toml";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"train --device cuda --out " + (dir / "runs").string(), "cwrf: error: --device cuda but this LibTorch"},
      {"train --set device=cuda:1 --out " + (dir / "runs").string(),
       "cwrf: error: device = \"cuda:1\" (from --set device=cuda:1) but this LibTorch"},
      {"run " + quick + " --device cuda --out " + (dir / "exp").string(), "cwrf: error: device = \"cuda\""},
      {"run " + quick + " --devices 0,1 --out " + (dir / "exp").string(), "cwrf: error: device = \"cuda\""},
      {"bench train --models cnn --device cuda", "cwrf: error: --device cuda but this LibTorch"},
  };
  for (const auto& [args, message] : cases) {
    const Invocation r = run_cwrf(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.out.find(message), std::string::npos) << args << "\n" << r.out;
    EXPECT_NE(r.out.find("has no CUDA (a CPU-only build of LibTorch"), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir / "exp" / "models")) << args;
    EXPECT_FALSE(std::filesystem::exists(dir / "runs")) << args;
  }
  // A malformed device is refused by its syntax, CUDA or not.
  const Invocation bad = run_cwrf("train --device gpu --out " + (dir / "runs").string());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("'gpu' is not a device: expected cpu, cuda or cuda:N"), std::string::npos) << bad.out;
}

TEST(Cli, ConfigKeysListsEveryKey) {
  const Invocation r = run_cwrf("config keys");
  EXPECT_EQ(r.status, 0);
  for (const char* key : {"data.name", "model.width", "epochs", "lr", "defense.name", "split.models", "threads"})
    EXPECT_NE(r.out.find(key), std::string::npos) << key;
}

TEST(Cli, TrainsATinyModelAndReusesIt) {
  cwrf::testing::TempDir dir;
  cwrf::testing::write_synthetic_idx_dataset(dir / "data", 300, 60, 8, 3);
  const std::string args = "train --set data.name=idx --set data.path=" + (dir / "data").string() +
                           " --set data.train_size=100 --set data.ref_size=20 --epochs 1 --set batch_size=50"
                           " --set model.width=4 --threads 1 --out " + (dir / "runs").string();
  const Invocation first = run_cwrf(args);
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find("test_acc "), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("model: "), std::string::npos) << first.out;
  const Invocation second = run_cwrf(args);
  ASSERT_EQ(second.status, 0) << second.out;
  EXPECT_NE(second.out.find("existing model, not retrained"), std::string::npos) << second.out;
}

}  // namespace
}  // namespace cwrf
