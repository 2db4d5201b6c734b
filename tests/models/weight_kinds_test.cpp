// Tests for weight-kind classification (paper Table 1's conv / attention+MLP / linear / norm split).
#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/models/weight_kinds.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <iostream>
#include <regex>

namespace cwrf::models {
namespace {

ModelSpec spec_for(const std::string& name, int64_t channels, int64_t size) {
  ModelSpec spec;
  spec.name = name;
  spec.in_channels = channels;
  spec.image_size = size;
  return spec;
}

// Prints each kind's share of the model's weights (for the record, not asserted).
void print_shares(const std::string& label, const torch::nn::Module& model,
                  const std::map<std::string, WeightKind>& kinds) {
  std::map<std::string, int64_t> per_kind;
  int64_t total = 0;
  for (const auto& item : model.named_parameters()) {
    per_kind[to_string(kinds.at(item.key()))] += item.value().numel();
    total += item.value().numel();
  }
  std::cout << fmt::format("[weight kinds] {} ({} weights):", label, total);
  for (const auto& [kind, n] : per_kind) std::cout << fmt::format(" {} {} ({:.2f}%)", kind, n, 100.0 * n / total);
  std::cout << "\n";
}

void expect_all_classified(const torch::nn::Module& model, const std::map<std::string, WeightKind>& kinds) {
  auto params = model.named_parameters();
  EXPECT_EQ(kinds.size(), params.size());
  for (const auto& item : params) EXPECT_EQ(kinds.count(item.key()), 1u) << item.key();
}

TEST(WeightKinds, Names) {
  EXPECT_EQ(to_string(WeightKind::Conv), "conv");
  EXPECT_EQ(to_string(WeightKind::Attention), "attention");
  EXPECT_EQ(to_string(WeightKind::Mlp), "mlp");
  EXPECT_EQ(to_string(WeightKind::Linear), "linear");
  EXPECT_EQ(to_string(WeightKind::Norm), "norm");
  EXPECT_EQ(to_string(WeightKind::Embedding), "embedding");
  EXPECT_EQ(to_string(WeightKind::Bias), "bias");
}

TEST(WeightKinds, ResNet18) {
  auto model = make_model(spec_for("resnet18", 3, 32));
  auto kinds = classify_weights(*model);
  expect_all_classified(*model, kinds);
  const std::regex conv(R"((.*\.)?(conv\d|shortcut\.0)\.weight)"), norm(R"((.*\.)?(bn\d|shortcut\.1)\.(weight|bias))");
  for (const auto& [name, kind] : kinds) {
    if (std::regex_match(name, conv)) {
      EXPECT_EQ(kind, WeightKind::Conv) << name;
    } else if (std::regex_match(name, norm)) {
      EXPECT_EQ(kind, WeightKind::Norm) << name;
    } else if (name == "linear.weight") {
      EXPECT_EQ(kind, WeightKind::Linear);
    } else if (name == "linear.bias") {
      EXPECT_EQ(kind, WeightKind::Bias);
    } else {
      ADD_FAILURE() << "unexpected parameter " << name;
    }
  }
  print_shares("resnet18 w=64 3x32x32", *model, kinds);
  ModelSpec group = spec_for("resnet18", 3, 32);
  group.norm = "group";
  group.width = 16;
  auto group_model = make_model(group);
  auto group_kinds = classify_weights(*group_model);
  EXPECT_EQ(group_kinds.at("layer2.0.shortcut.1.weight"), WeightKind::Norm);
  EXPECT_EQ(group_kinds.at("bn1.bias"), WeightKind::Norm);
}

TEST(WeightKinds, Vit) {
  auto model = make_model(spec_for("vit", 3, 32));
  auto kinds = classify_weights(*model);
  expect_all_classified(*model, kinds);
  const std::regex attention(R"(blocks\.\d+\.attn\.(qkv|proj)\.weight)"), mlp(R"(blocks\.\d+\.mlp\.fc\d\.weight)"),
      bias(R"(blocks\.\d+\.(attn\.proj|mlp\.fc\d)\.bias)"), norm(R"((blocks\.\d+\.)?norm\d?\.(weight|bias))");
  for (const auto& [name, kind] : kinds) {
    if (std::regex_match(name, attention)) {
      EXPECT_EQ(kind, WeightKind::Attention) << name;
    } else if (std::regex_match(name, mlp)) {
      EXPECT_EQ(kind, WeightKind::Mlp) << name;
    } else if (std::regex_match(name, bias) || name == "head.bias") {
      EXPECT_EQ(kind, WeightKind::Bias) << name;
    } else if (std::regex_match(name, norm)) {
      EXPECT_EQ(kind, WeightKind::Norm) << name;
    } else if (name == "head.weight") {
      EXPECT_EQ(kind, WeightKind::Linear);
    } else if (name == "cls_token" || name == "pos_embed" || name == "patch_embed.weight" ||
               name == "patch_embed.bias") {
      EXPECT_EQ(kind, WeightKind::Embedding) << name;
    } else {
      ADD_FAILURE() << "unexpected parameter " << name;
    }
  }
  EXPECT_EQ(kinds.at("blocks.2.attn.qkv.weight"), WeightKind::Attention);
  print_shares("vit cpu preset 3x32x32", *model, kinds);

  ModelSpec paper = spec_for("vit", 3, 32);
  paper.width = 512;
  paper.depth = 6;
  paper.heads = 8;
  paper.mlp_dim = 512;
  auto paper_model = make_model(paper);
  print_shares("vit paper preset 3x32x32", *paper_model, classify_weights(*paper_model));
}

TEST(WeightKinds, Cnn) {
  auto model = make_model(spec_for("cnn", 1, 28));
  auto kinds = classify_weights(*model);
  expect_all_classified(*model, kinds);
  const std::map<std::string, WeightKind> expected = {
      {"conv1.weight", WeightKind::Conv}, {"conv1.bias", WeightKind::Bias},   {"bn1.weight", WeightKind::Norm},
      {"bn1.bias", WeightKind::Norm},     {"conv2.weight", WeightKind::Conv}, {"conv2.bias", WeightKind::Bias},
      {"bn2.weight", WeightKind::Norm},   {"bn2.bias", WeightKind::Norm},     {"fc1.weight", WeightKind::Linear},
      {"fc1.bias", WeightKind::Bias},     {"fc2.weight", WeightKind::Linear}, {"fc2.bias", WeightKind::Bias}};
  EXPECT_EQ(kinds, expected);
  print_shares("cnn w=32 1x28x28", *model, kinds);
}

TEST(WeightKinds, EmbeddingModules) {
  torch::nn::Sequential seq;
  seq->push_back("embed", torch::nn::Embedding(100, 8));
  seq->push_back("out", torch::nn::Linear(8, 2));
  auto kinds = classify_weights(*seq);
  EXPECT_EQ(kinds.at("embed.weight"), WeightKind::Embedding);
  EXPECT_EQ(kinds.at("out.weight"), WeightKind::Linear);
  EXPECT_EQ(kinds.at("out.bias"), WeightKind::Bias);
}

struct Mystery : torch::nn::Module {
  Mystery() {
    register_module("fc", torch::nn::Linear(2, 2));
    register_parameter("scale", torch::ones({2}));
  }
};

struct WithPrelu : torch::nn::Module {
  WithPrelu() { register_module("act", torch::nn::PReLU()); }
};

TEST(WeightKinds, UnclassifiableParameterIsAnErrorNamingIt) {
  try {
    classify_weights(Mystery());
    ADD_FAILURE() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"scale\""), std::string::npos) << e.what();
  }
  try {
    classify_weights(WithPrelu());
    ADD_FAILURE() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"act.weight\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::models
