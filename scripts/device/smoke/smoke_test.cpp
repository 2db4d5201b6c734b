// Touches every dependency once: compiles, links and runs only if the recipe is right.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <png.h>
#include <toml++/toml.h>
#include <xxhash.h>
#include <zlib.h>

#include <string>
#include <vector>

TEST(Smoke, LibTorch) {
  const torch::Tensor t = torch::ones({2, 3}).sum();
  EXPECT_EQ(t.item<float>(), 6.0f);
  std::printf("smoke: LibTorch %s, CUDA available: %d, devices: %d\n", TORCH_VERSION,
              int(torch::cuda::is_available()), int(torch::cuda::device_count()));
  if (torch::cuda::is_available()) {
    const torch::Tensor g = torch::ones({2, 3}, torch::Device(torch::kCUDA)).sum().cpu();
    EXPECT_EQ(g.item<float>(), 6.0f);
  }
}

TEST(Smoke, HeaderOnlyLibraries) {
  EXPECT_EQ(fmt::format("{}-{}", "a", 1), "a-1");
  const nlohmann::json j = nlohmann::json::parse(R"({"x": [1, 2]})");
  EXPECT_EQ(j["x"][1].get<int>(), 2);
  const toml::table tbl = toml::parse("a = 3\n[b]\nc = \"d\"\n");
  EXPECT_EQ(tbl["a"].value_or(0), 3);
  EXPECT_EQ(tbl["b"]["c"].value_or(std::string()), "d");
  CLI::App app{"smoke"};
  int n = 0;
  app.add_option("-n", n);
  std::vector<std::string> args = {"-n", "5"};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  EXPECT_EQ(n, 5);
  EXPECT_THAT(std::vector<int>({1, 2}), ::testing::ElementsAre(1, 2));
}

TEST(Smoke, CLibraries) {
  EXPECT_NE(XXH64("abc", 3, 0), 0u);
  EXPECT_STRNE(zlibVersion(), "");
  EXPECT_EQ(png_access_version_number() / 10000, 1u);
  std::printf("smoke: zlib %s, libpng %s\n", zlibVersion(), png_get_libpng_ver(nullptr));
}
