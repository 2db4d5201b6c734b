#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/train/throughput.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace cwrf::train {
namespace {

ThroughputOptions tiny_options(const std::string& model) {
  ThroughputOptions o;
  o.spec.name = model;
  o.spec.image_size = 8;
  o.spec.num_classes = 3;
  o.spec.width = 4;
  if (model == "vit") {
    o.spec.depth = 1;
    o.spec.heads = 2;
    o.spec.mlp_dim = 8;
  }
  o.batch_size = 8;
  o.warmup = 1;
  o.steps = 2;
  o.repeats = 1;
  return o;
}

// The figure must come from real training steps: positive, finite, and the weights moved.
void expect_measures_training(const ThroughputOptions& o) {
  torch::manual_seed(0);
  models::ClassifierPtr model = models::make_model(o.spec);
  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) before.push_back(p.detach().clone());

  const ThroughputResult r = measure_train_throughput(*model, o);

  ASSERT_EQ(r.images_per_second.size(), 1u);
  EXPECT_GT(r.mean, 0.0);
  EXPECT_TRUE(std::isfinite(r.mean));
  EXPECT_EQ(r.sd, 0.0);
  EXPECT_EQ(r.parameters, models::count_parameters(*model));
  EXPECT_EQ(r.input_shape, (std::vector<int64_t>{8, 1, 8, 8}));
  EXPECT_TRUE(model->is_training());
  const auto after = model->parameters();
  ASSERT_EQ(after.size(), before.size());
  size_t changed = 0;
  for (size_t i = 0; i < after.size(); ++i) changed += torch::equal(after[i].detach(), before[i]) ? 0 : 1;
  // Every weight gets a gradient (and weight decay) in these models, so every tensor moves.
  EXPECT_EQ(changed, after.size());
}

TEST(TrainThroughput, CnnStepsTrainTheModel) { expect_measures_training(tiny_options("cnn")); }

TEST(TrainThroughput, ChannelsLastCnnStepsTrainTheModel) {
  ThroughputOptions o = tiny_options("cnn");
  o.channels_last = true;
  expect_measures_training(o);
}

TEST(TrainThroughput, VitStepsTrainTheModel) { expect_measures_training(tiny_options("vit")); }

TEST(TrainThroughput, RepeatsGiveMeanAndSdAndThreadsAreRestored) {
  const int threads = torch::get_num_threads();
  ThroughputOptions o = tiny_options("cnn");
  o.warmup = 0;
  o.steps = 1;
  o.repeats = 3;
  o.threads = threads + 1;
  const ThroughputResult r = measure_train_throughput(o);
  ASSERT_EQ(r.images_per_second.size(), 3u);
  EXPECT_EQ(r.threads, threads + 1);
  EXPECT_NEAR(r.mean, (r.images_per_second[0] + r.images_per_second[1] + r.images_per_second[2]) / 3, 1e-9 * r.mean);
  EXPECT_GE(r.sd, 0.0);
  EXPECT_EQ(torch::get_num_threads(), threads);
}

TEST(TrainThroughput, BadOptionsNameTheField) {
  for (auto [field, set] : std::vector<std::pair<std::string, void (*)(ThroughputOptions&)>>{
           {"batch_size = 0", [](ThroughputOptions& o) { o.batch_size = 0; }},
           {"steps = 0", [](ThroughputOptions& o) { o.steps = 0; }},
           {"repeats = -1", [](ThroughputOptions& o) { o.repeats = -1; }},
           {"warmup = -2", [](ThroughputOptions& o) { o.warmup = -2; }},
           {"model.name = \"mlp\"", [](ThroughputOptions& o) { o.spec.name = "mlp"; }}}) {
    ThroughputOptions o = tiny_options("cnn");
    set(o);
    try {
      measure_train_throughput(o);
      ADD_FAILURE() << field;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace cwrf::train
