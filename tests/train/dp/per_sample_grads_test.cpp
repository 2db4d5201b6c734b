// Per-sample gradients against batch-of-one passes (float64), layer by layer and for whole
// models; the three norm routes and the clipped-sum products against the materialised
// gradients; models without a per-sample rule are rejected with a message naming the layer.
#include "cwrf/common/error.h"
#include "cwrf/models/registry.h"
#include "cwrf/models/taps.h"
#include "cwrf/train/dp/per_sample_grads.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

namespace cwrf::train::dp {
namespace {

namespace taps = models::taps;
using LossOf = std::function<torch::Tensor(const torch::Tensor& out, const torch::Tensor& rows)>;

// A one-off model: registered layers and a forward written by the test.
class TestNet : public models::Classifier {
 public:
  std::function<torch::Tensor(const torch::Tensor&)> body;
  torch::Tensor forward(const torch::Tensor& x) override { return body(x); }
  template <typename M>
  M add(const std::string& name, M module) {
    return register_module(name, module);
  }
  torch::Tensor add_parameter(const std::string& name, torch::Tensor t) { return register_parameter(name, t); }
};

// ‖a − b‖ / ‖b‖, the denominator floored at `floor` (a gradient that is zero in exact arithmetic,
// like a conv bias under a one-channel-per-group GroupNorm, is rounding noise on both sides).
double relative_error(const torch::Tensor& a, const torch::Tensor& b, double floor = 1e-12) {
  const double denom = std::max(b.norm().item<double>(), floor);
  return (a - b).norm().item<double>() / denom;
}

// A per-sample loss with curvature: Σ tanh(out_i) · R_i, R fixed per sample.
LossOf tanh_loss(const torch::Tensor& weights) {
  return [weights](const torch::Tensor& out, const torch::Tensor& rows) {
    return (torch::tanh(out) * weights.index_select(0, rows)).flatten(1).sum(1).mean();
  };
}

LossOf ce_loss(const torch::Tensor& labels) {
  return [labels](const torch::Tensor& out, const torch::Tensor& rows) {
    return torch::nn::functional::cross_entropy(out, labels.index_select(0, rows));
  };
}

// Checks PerSampleGradients on `net` and `x` against n batch-of-one backward passes, in every
// norm route: per-sample gradients, total squared norms and weighted sums.
void expect_matches_batch_of_one(models::Classifier& net, const torch::Tensor& x, const LossOf& loss_of,
                                 double tolerance = 1e-5) {
  const int64_t n = x.size(0);
  const torch::Tensor all_rows = torch::arange(n);
  const TappedPass pass = run_tapped(net, x, [&](const torch::Tensor& out) { return loss_of(out, all_rows); });
  // No parameter gradient is formed by the tapped pass.
  for (const auto& p : net.parameters()) EXPECT_FALSE(p.grad().defined() && p.grad().abs().sum().item<double>() > 0);

  std::vector<std::vector<torch::Tensor>> reference;  // [sample][parameter]
  std::vector<std::string> names;
  for (int64_t i = 0; i < n; ++i) {
    for (auto& p : net.parameters())
      if (p.grad().defined()) p.mutable_grad().zero_();
    loss_of(net.forward(x.narrow(0, i, 1)), torch::tensor({i})).backward();
    std::vector<torch::Tensor> grads;
    names.clear();
    for (const auto& item : net.named_parameters()) {
      names.push_back(item.key());
      grads.push_back(item.value().grad().defined() ? item.value().grad().clone() : torch::zeros_like(item.value()));
    }
    reference.push_back(grads);
  }
  for (auto& p : net.parameters())
    if (p.grad().defined()) p.mutable_grad().zero_();

  const torch::Tensor weights = torch::rand({n}, torch::kFloat64);
  for (NormRoute route : {NormRoute::Auto, NormRoute::Materialize, NormRoute::Ghost}) {
    const PerSampleGradients psg(net, pass, route);
    ASSERT_EQ(psg.names(), names);
    const auto per_sample = psg.materialize();
    torch::Tensor expected_norms = torch::zeros({n}, torch::kFloat64);
    std::vector<double> sample_norms(n, 0.0);  // ‖g_i‖ over all parameters: the scale of "zero"
    for (int64_t i = 0; i < n; ++i)
      for (const auto& g : reference[i]) sample_norms[i] += g.pow(2).sum().item<double>();
    for (auto& v : sample_norms) v = std::sqrt(v);
    for (size_t k = 0; k < names.size(); ++k) {
      ASSERT_EQ(per_sample[k].size(0), n) << names[k];
      torch::Tensor expected_sum = torch::zeros_like(reference[0][k]);
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_LT(relative_error(per_sample[k][i], reference[i][k], 1e-6 * sample_norms[i]), tolerance)
            << names[k] << " sample " << i;
        expected_norms[i] += reference[i][k].pow(2).sum();
        expected_sum += weights[i] * reference[i][k];
      }
      EXPECT_LT(relative_error(psg.weighted_sums(weights)[k], expected_sum, 1e-6 * sample_norms[0]), tolerance)
          << names[k];
    }
    EXPECT_LT(relative_error(psg.squared_norms(), expected_norms), tolerance) << "route " << static_cast<int>(route);
  }
}

class PerSampleGradsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(7);
    net_ = std::make_shared<TestNet>();
  }
  std::shared_ptr<TestNet> net_;
};

TEST_F(PerSampleGradsTest, LinearWith3dInput) {
  auto fc = net_->add("fc", torch::nn::Linear(6, 4));
  net_->body = [fc](const torch::Tensor& x) mutable { return taps::call(fc, x); };
  net_->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({5, 7, 6}, torch::kFloat64);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn({5, 7, 4}, torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, LinearWith2dAnd4dInputs) {
  auto fc1 = net_->add("fc1", torch::nn::Linear(6, 5));
  auto fc2 = net_->add("fc2", torch::nn::Linear(torch::nn::LinearOptions(5, 3).bias(false)));
  // [n, 2, 3, 6] -> fc1 -> [n, 2, 3, 5] -> sum over one axis -> [n, 2, 5] -> flatten -> fc2 on [n*?]
  net_->body = [fc1, fc2](const torch::Tensor& x) mutable {
    torch::Tensor h = torch::gelu(taps::call(fc1, x)).sum(2);  // [n, 2, 5]
    return taps::call(fc2, h.mean(1));                        // 2-D input: [n, 5]
  };
  net_->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({4, 2, 3, 6}, torch::kFloat64);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn({4, 3}, torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, Conv2dWithGroupsStridePaddingDilation) {
  auto conv = net_->add(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 6, {3, 2})
                                  .groups(2)
                                  .stride({2, 1})
                                  .padding(torch::ExpandingArray<2>({1, 2}))
                                  .dilation({2, 1})));
  auto conv2 = net_->add("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 3, 3).padding(torch::kSame).bias(false)));
  net_->body = [conv, conv2](const torch::Tensor& x) mutable { return taps::call(conv2, torch::relu(taps::call(conv, x))); };
  net_->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({3, 4, 9, 8}, torch::kFloat64);
  const torch::Tensor out = net_->forward(x);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn(out.sizes(), torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, Conv2dChannelsLast) {
  auto conv = net_->add("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 5, 3).padding(1)));
  net_->body = [conv](const torch::Tensor& x) mutable { return taps::call(conv, x); };
  net_->to(torch::kFloat64);
  for (auto& p : net_->parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
  const torch::Tensor x = torch::randn({3, 3, 6, 6}, torch::kFloat64).contiguous(at::MemoryFormat::ChannelsLast);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn({3, 5, 6, 6}, torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, LayerNormOverOneAndTwoDims) {
  auto ln1 = net_->add("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({5})));
  auto ln2 = net_->add("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4, 5})));
  {
    // Non-trivial affine parameters, so the input gradient through each layer matters.
    torch::NoGradGuard no_grad;
    for (auto& p : net_->parameters()) p.copy_(torch::randn(p.sizes()));
  }
  net_->body = [ln1, ln2](const torch::Tensor& x) mutable { return taps::call(ln2, torch::tanh(taps::call(ln1, x))); };
  net_->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({4, 3, 4, 5}, torch::kFloat64);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn({4, 3, 4, 5}, torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, GroupNorm) {
  auto conv = net_->add("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 6, 3).padding(1)));
  auto gn = net_->add("gn", torch::nn::GroupNorm(torch::nn::GroupNormOptions(3, 6)));
  {
    torch::NoGradGuard no_grad;
    gn->weight.copy_(torch::randn({6}));
    gn->bias.copy_(torch::randn({6}));
  }
  net_->body = [conv, gn](const torch::Tensor& x) mutable { return taps::call(gn, taps::call(conv, x)); };
  net_->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({4, 2, 5, 5}, torch::kFloat64);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn({4, 6, 5, 5}, torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, EmbeddingWithRepeatedTokens) {
  auto emb = net_->add("emb", torch::nn::Embedding(11, 4));
  auto emb_pad = net_->add("emb_pad", torch::nn::Embedding(torch::nn::EmbeddingOptions(11, 4).padding_idx(0)));
  net_->body = [emb, emb_pad](const torch::Tensor& ids) mutable { return taps::call(emb, ids) * taps::call(emb_pad, ids); };
  net_->to(torch::kFloat64);
  const torch::Tensor ids = torch::tensor({{1, 3, 3, 0, 7}, {2, 2, 2, 2, 0}, {10, 9, 1, 3, 3}}, torch::kLong);
  expect_matches_batch_of_one(*net_, ids, tanh_loss(torch::randn({3, 5, 4}, torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, BroadcastParameters) {
  auto token = net_->add_parameter("token", torch::randn({1, 1, 3}));
  auto position = net_->add_parameter("position", torch::randn({1, 3, 3}));
  auto bias = net_->add_parameter("bias", torch::randn({3}));
  net_->body = [token, position, bias](const torch::Tensor& x) mutable {
    torch::Tensor h = torch::cat({taps::expand_batch(token, x.size(0)), x}, 1);  // [n, 3, 3]
    h = taps::add_broadcast(torch::tanh(taps::add_broadcast(h, position)), bias);
    return h * h;
  };
  net_->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({4, 2, 3}, torch::kFloat64);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn({4, 3, 3}, torch::kFloat64)));
}

TEST_F(PerSampleGradsTest, LayerCalledTwiceSumsItsContributions) {
  auto fc = net_->add("fc", torch::nn::Linear(4, 4));
  net_->body = [fc](const torch::Tensor& x) mutable { return taps::call(fc, torch::tanh(taps::call(fc, x))); };
  net_->to(torch::kFloat64);
  const torch::Tensor x = torch::randn({3, 5, 4}, torch::kFloat64);
  expect_matches_batch_of_one(*net_, x, tanh_loss(torch::randn({3, 5, 4}, torch::kFloat64)));
}

models::ModelSpec small_spec(const std::string& name) {
  models::ModelSpec spec;
  spec.name = name;
  spec.in_channels = name == "resnet18" ? 3 : 1;
  spec.image_size = 8;
  spec.num_classes = 5;
  spec.width = name == "vit" || name == "transformer" ? 16 : 4;
  spec.norm = "group";
  if (name == "transformer") {
    spec.vocab_size = 11;
    spec.seq_len = 6;
    spec.depth = 2;
    spec.heads = 2;
    spec.mlp_dim = 24;
  }
  if (name == "vit") {
    spec.depth = 2;
    spec.heads = 2;
    spec.mlp_dim = 24;
    spec.patch = 4;
  }
  return models::resolve(spec);
}

void expect_model_matches(const std::string& name) {
  torch::manual_seed(3);
  const models::ModelSpec spec = small_spec(name);
  models::ClassifierPtr model = models::make_model(spec);
  model->to(torch::kFloat64);
  model->train();
  check_supported(*model);
  torch::Tensor x = torch::randn({4, spec.in_channels, spec.image_size, spec.image_size}, torch::kFloat64);
  if (name == "transformer")  // token ids with padding (0) and a token repeated within a sample
    x = torch::tensor({3, 5, 3, 0, 0, 0, 1, 2, 9, 10, 4, 7, 6, 6, 6, 6, 0, 0, 0, 0, 0, 0, 0, 0}, torch::kLong).view({4, 6});
  const torch::Tensor labels = torch::tensor({0, 4, 2, 2}, torch::kLong);
  expect_matches_batch_of_one(*model, x, ce_loss(labels));
}

TEST(PerSampleGradsModels, CnnWithGroupNorm) { expect_model_matches("cnn"); }
TEST(PerSampleGradsModels, Vit) { expect_model_matches("vit"); }
TEST(PerSampleGradsModels, ResNet18WithGroupNorm) { expect_model_matches("resnet18"); }
TEST(PerSampleGradsModels, TextTransformer) { expect_model_matches("transformer"); }

TEST(PerSampleGradsModels, ChoosesTheCheaperRouteWithTheSameResult) {
  // The CNN's fc1 sees one "token" per sample (ghost: ‖a‖²‖g‖²), its convs materialise; the
  // clipped sums are the same products either way.
  torch::manual_seed(5);
  models::ModelSpec spec = small_spec("cnn");
  auto model = models::make_model(spec);
  const torch::Tensor x = torch::randn({6, 1, 8, 8});
  const torch::Tensor labels = torch::randint(5, {6}, torch::kLong);
  const TappedPass pass =
      run_tapped(*model, x, [&](const torch::Tensor& out) { return torch::nn::functional::cross_entropy(out, labels); });
  const PerSampleGradients a(*model, pass, NormRoute::Auto), m(*model, pass, NormRoute::Materialize);
  EXPECT_TRUE(torch::allclose(a.squared_norms(), m.squared_norms(), 1e-4, 1e-6));
}

TEST(PerSampleGradsSupport, BatchNormModelIsRejectedWithTheFix) {
  models::ModelSpec spec = small_spec("cnn");
  spec.norm = "batch";
  auto model = models::make_model(spec);
  try {
    check_supported(*model);
    FAIL() << "a BatchNorm model passed";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer 'bn1'"), std::string::npos) << m;
    EXPECT_NE(m.find("BatchNorm2d"), std::string::npos) << m;
    EXPECT_NE(m.find("model.norm = \"group\""), std::string::npos) << m;
  }
  spec.name = "resnet18";
  spec.in_channels = 3;
  EXPECT_THROW(check_supported(*models::make_model(spec)), Error);
}

TEST(PerSampleGradsSupport, LayerWithoutRuleIsNamed) {
  auto net = std::make_shared<TestNet>();
  net->add("encoder", torch::nn::Conv1d(torch::nn::Conv1dOptions(2, 2, 3)));
  try {
    check_supported(*net);
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer 'encoder' (torch::nn::Conv1d)"), std::string::npos) << m;
    EXPECT_NE(m.find("Linear, Conv2d, LayerNorm, GroupNorm and Embedding"), std::string::npos) << m;
  }
  auto padded = std::make_shared<TestNet>();
  padded->add("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 2, 3).padding(1).padding_mode(torch::kReflect)));
  EXPECT_THROW(check_supported(*padded), Error);
}

TEST(PerSampleGradsSupport, UntappedParameterIsNamed) {
  auto net = std::make_shared<TestNet>();
  auto fc = net->add("fc", torch::nn::Linear(3, 2));
  auto scale = net->add_parameter("scale", torch::ones({2}));
  net->body = [fc, scale](const torch::Tensor& x) mutable { return taps::call(fc, x) * scale; };  // `scale` not tapped
  check_supported(*net);  // raw parameters of a model's own module pass the static check
  const TappedPass pass = run_tapped(*net, torch::randn({2, 3}), [](const torch::Tensor& out) { return out.sum(); });
  try {
    PerSampleGradients psg(*net, pass);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'scale'"), std::string::npos) << e.what();
  }
}

TEST(Taps, PlainForwardWithoutCaptureAndNoNesting) {
  EXPECT_EQ(taps::active(), nullptr);
  torch::nn::Linear fc(3, 2);
  const torch::Tensor x = torch::randn({2, 3});
  EXPECT_TRUE(torch::equal(taps::call(fc, x), fc->forward(x)));
  taps::Capture capture;
  EXPECT_EQ(taps::active(), &capture);
  EXPECT_THROW(taps::Capture nested, Error);
  taps::call(fc, x);
  EXPECT_EQ(capture.records().size(), 1u);
  {
    torch::NoGradGuard no_grad;  // calls autograd cannot reach are not recorded
    taps::call(fc, x);
  }
  EXPECT_EQ(capture.records().size(), 1u);
}

}  // namespace
}  // namespace cwrf::train::dp
