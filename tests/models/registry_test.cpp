// Tests for the model registry: defaults, validation, seeding.
#include "cwrf/common/error.h"
#include "cwrf/models/cnn.h"
#include "cwrf/models/registry.h"
#include "cwrf/models/resnet.h"
#include "cwrf/models/vit.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

namespace cwrf::models {
namespace {

ModelSpec named(const std::string& name) {
  ModelSpec spec;
  spec.name = name;
  return spec;
}

// The message of the Error `fn` throws ("" and a test failure when it throws none).
std::string error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected cwrf::Error";
  return "";
}

TEST(Registry, ModelNames) {
  EXPECT_EQ(model_names(), (std::vector<std::string>{"cnn", "resnet18", "vit", "transformer"}));
  EXPECT_TRUE(is_text_model("transformer"));
  EXPECT_FALSE(is_text_model("vit"));
}

TEST(Registry, ResolveFillsDefaults) {
  ModelSpec cnn = resolve(named("cnn"));
  EXPECT_EQ(cnn.width, 32);
  EXPECT_EQ(cnn.depth, 0);  // ViT-only knobs stay as given
  EXPECT_EQ(resolve(named("resnet18")).width, 64);
  ModelSpec vit = resolve(named("vit"));
  EXPECT_EQ(vit.width, 64);
  EXPECT_EQ(vit.depth, 4);
  EXPECT_EQ(vit.heads, 4);
  EXPECT_EQ(vit.mlp_dim, 128);
  EXPECT_EQ(vit.patch, 4);
}

TEST(Registry, ResolveKeepsExplicitValuesAndIsIdempotent) {
  ModelSpec spec = named("vit");
  spec.width = 512;
  spec.depth = 6;
  spec.heads = 8;
  spec.mlp_dim = 512;
  spec.patch = 2;
  spec.in_channels = 3;
  spec.image_size = 32;
  ModelSpec once = resolve(spec);
  EXPECT_EQ(once.width, 512);
  EXPECT_EQ(once.depth, 6);
  EXPECT_EQ(once.heads, 8);
  EXPECT_EQ(once.mlp_dim, 512);
  EXPECT_EQ(once.patch, 2);
  ModelSpec twice = resolve(once);
  EXPECT_EQ(twice.width, once.width);
  EXPECT_EQ(twice.patch, once.patch);
}

TEST(Registry, RejectsUnknownNameListingKnownOnes) {
  std::string msg = error_message([] { resolve(named("resnet50")); });
  EXPECT_NE(msg.find("model.name"), std::string::npos) << msg;
  EXPECT_NE(msg.find("resnet50"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cnn, resnet18, vit"), std::string::npos) << msg;
  EXPECT_THROW(make_model(named("mlp")), Error);
}

TEST(Registry, RejectsUnknownNorm) {
  for (const std::string model : {"cnn", "resnet18"}) {
    ModelSpec spec = named(model);
    spec.norm = "layer";
    std::string msg = error_message([&] { make_model(spec); });
    EXPECT_NE(msg.find("model.norm"), std::string::npos) << msg;
    EXPECT_NE(msg.find("batch, group, none"), std::string::npos) << msg;
  }
}

TEST(Registry, RejectsInvalidKnobs) {
  ModelSpec spec = named("vit");
  spec.heads = 5;
  std::string msg = error_message([&] { resolve(spec); });
  EXPECT_NE(msg.find("model.heads"), std::string::npos) << msg;

  spec = named("vit");
  spec.image_size = 30;
  EXPECT_NE(error_message([&] { resolve(spec); }).find("model.patch"), std::string::npos);

  spec = named("cnn");
  spec.image_size = 30;
  EXPECT_NE(error_message([&] { resolve(spec); }).find("model.image_size"), std::string::npos);

  spec = named("resnet18");
  spec.width = -1;
  EXPECT_NE(error_message([&] { resolve(spec); }).find("model.width"), std::string::npos);

  spec = named("cnn");
  spec.num_classes = 0;
  EXPECT_NE(error_message([&] { resolve(spec); }).find("model.num_classes"), std::string::npos);

  spec = named("cnn");
  spec.dropout = 1.0;
  EXPECT_NE(error_message([&] { resolve(spec); }).find("model.dropout"), std::string::npos);
}

TEST(Registry, BuildsTheNamedArchitecture) {
  EXPECT_NE(std::dynamic_pointer_cast<CnnImpl>(make_model(named("cnn"))), nullptr);
  ModelSpec small_resnet = named("resnet18");
  small_resnet.width = 8;
  EXPECT_NE(std::dynamic_pointer_cast<ResNet18Impl>(make_model(small_resnet)), nullptr);
  EXPECT_NE(std::dynamic_pointer_cast<VitImpl>(make_model(named("vit"))), nullptr);
}

TEST(Registry, SeedDeterminesInitialisation) {
  for (const std::string name : {"cnn", "resnet18", "vit"}) {
    ModelSpec spec = named(name);
    if (name == "resnet18") spec.width = 8;
    torch::manual_seed(11);
    auto a = make_model(spec);
    torch::manual_seed(11);
    auto b = make_model(spec);
    torch::manual_seed(12);
    auto c = make_model(spec);
    auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
    bool any_different = false;
    for (const auto& item : pa) {
      EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << name << " " << item.key();
      // Norm weights start at 1 and biases at 0 whatever the seed: look for any difference.
      any_different = any_different || !torch::equal(item.value(), pc[item.key()]);
    }
    EXPECT_TRUE(any_different) << name;
    EXPECT_FALSE(torch::equal(pa[name == "vit" ? "head.weight" : "conv1.weight"],
                              pc[name == "vit" ? "head.weight" : "conv1.weight"]))
        << name;
  }
}

TEST(Registry, CountParameters) {
  torch::nn::Linear linear(3, 2);
  EXPECT_EQ(count_parameters(*linear), 3 * 2 + 2);
}

}  // namespace
}  // namespace cwrf::models
