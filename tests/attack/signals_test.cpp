// Signals over real tiny model directories: logits equal a direct forward pass under each query,
// and the cache is reused for identical models and recomputed for a changed one.
#include "cwrf/attack/signals.h"
#include "cwrf/common/error.h"
#include "cwrf/common/tensor_io.h"
#include "cwrf/data/batches.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/job/model_job.h"
#include "tiny_models.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cwrf::attack {
namespace {

SignalOptions options(const std::vector<std::string>& queries, const std::filesystem::path& cache) {
  SignalOptions o;
  o.queries = parse_queries(queries);
  o.batch_size = 37;  // not a divisor of the pool size: exercises the last short batch
  o.cache_dir = cache;
  return o;
}

TEST(Signals, QueriesParseAndTransform) {
  const auto q = parse_queries({"identity", "mirror", "shift:1:-2", "mirror+shift:0:1"});
  ASSERT_EQ(q.size(), 4u);
  EXPECT_TRUE(q[0].is_identity());
  EXPECT_TRUE(q[1].mirror);
  EXPECT_EQ(q[2].dx, 1);
  EXPECT_EQ(q[2].dy, -2);
  EXPECT_TRUE(q[3].mirror);
  EXPECT_EQ(q[3].dy, 1);
  EXPECT_THROW(parse_queries({}), Error);
  EXPECT_THROW(parse_queries({"rotate"}), Error);
  EXPECT_THROW(parse_queries({"shift:1"}), Error);
  EXPECT_THROW(parse_queries({"shift:a:0"}), Error);
  EXPECT_THROW(parse_queries({"mirror", "mirror"}), Error);

  const torch::Tensor x = torch::arange(16, torch::kFloat32).reshape({1, 1, 4, 4});
  EXPECT_TRUE(torch::equal(apply_query(x, q[1]), x.flip({3})));
  // shift:1:-2: content moves one column right and two rows up, zeros fill in.
  const torch::Tensor s = apply_query(x, q[2]);
  EXPECT_EQ(s[0][0][0][1].item<float>(), x[0][0][2][0].item<float>());
  EXPECT_EQ(s[0][0][1][3].item<float>(), x[0][0][3][2].item<float>());
  EXPECT_EQ(s[0][0][0][0].item<float>(), 0.0f);
  EXPECT_EQ(s[0][0][3][2].item<float>(), 0.0f);
}

TEST(Signals, ReflectedShiftsAndTheRmia18Preset) {
  // tf.pad(mode="REFLECT") by one pixel, then a crop: the row entering at the edge is the row beside the edge.
  const torch::Tensor x = torch::arange(16, torch::kFloat32).reshape({1, 1, 4, 4});
  const auto q = parse_queries({"shift:1:0:reflect", "mirror+shift:0:-1:reflect", "shift:0:0:reflect"});
  const torch::Tensor right = apply_query(x, q[0]);  // out[., j] = x[., j − 1], column −1 reflected to column 1
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(right[0][0][i][0].item<float>(), x[0][0][i][1].item<float>());
    for (int64_t j = 1; j < 4; ++j) EXPECT_EQ(right[0][0][i][j].item<float>(), x[0][0][i][j - 1].item<float>());
  }
  const torch::Tensor up = apply_query(x, q[1]);  // mirrored, then out[i] = m[i + 1], row 4 reflected to row 2
  const torch::Tensor m = x.flip({3});
  for (int64_t j = 0; j < 4; ++j) {
    for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(up[0][0][i][j].item<float>(), m[0][0][i + 1][j].item<float>());
    EXPECT_EQ(up[0][0][3][j].item<float>(), m[0][0][2][j].item<float>());
  }
  EXPECT_TRUE(q[2].is_identity());
  EXPECT_FALSE(q[2].reflect);
  EXPECT_THROW(apply_query(x, parse_queries({"shift:4:0:reflect"})[0]), Error);  // no reflection for the 4x4 image
  EXPECT_THROW(parse_queries({"shift:1:0:wrap"}), Error);
  const auto all = parse_queries({"rmia18"});
  ASSERT_EQ(all.size(), 18u);
  int mirrored = 0, reflected = 0;
  for (const Query& a : all) mirrored += a.mirror, reflected += a.reflect;
  EXPECT_EQ(mirrored, 9);
  EXPECT_EQ(reflected, 16);
  EXPECT_EQ(expand_query_presets({"identity", "rmia18"}).size(), 19u);
  EXPECT_THROW(parse_queries({"identity", "rmia18"}), Error);  // identity twice
}

TEST(Signals, LogitsAreTheModelsOutputsUnderEachQuery) {
  testing::TinyModels tiny;
  testing::train_tiny_models(tiny, 4);
  const ModelSet set = open_model_set(tiny.models);
  const Signals s = load_signals(set, options({"identity", "mirror"}, ""));
  ASSERT_EQ(s.logits.sizes(), (std::vector<int64_t>{4, set.pool.size(0), 2, 3}));
  EXPECT_EQ(s.computed, 4);
  EXPECT_EQ(s.num_classes, 3);
  // Direct: the model's logits on the prepared pool (normalisation from the training file).
  const config::Config c = testing::tiny_config(tiny.data, 4, 0);
  const job::JobData job = job::load_job_data(c);
  const data::Prepared pool = data::prepare(job.data.train, set.pool, job.normalization);
  EXPECT_TRUE(torch::equal(s.labels, pool.labels));
  for (int64_t m = 0; m < 4; ++m) {
    auto model = job::load_model(job::open_model_dir(tiny.models[m]), "final");
    model->eval();
    torch::NoGradGuard guard;
    EXPECT_TRUE(torch::allclose(s.logits[m].select(1, 0), model->forward(pool.inputs), 1e-5, 1e-5)) << m;
    EXPECT_TRUE(torch::allclose(s.logits[m].select(1, 1), model->forward(pool.inputs.flip({3})), 1e-5, 1e-5)) << m;
  }
}

TEST(Signals, CacheIsReusedForIdenticalModelsAndRecomputedForAChangedOne) {
  testing::TinyModels tiny;
  testing::train_tiny_models(tiny, 4);
  const auto cache = tiny.dir / "cache";
  const Signals first = load_signals(open_model_set(tiny.models), options({"identity", "mirror"}, cache));
  EXPECT_EQ(first.computed, 4);
  EXPECT_TRUE(std::filesystem::exists(cache / "logits.npy"));
  EXPECT_TRUE(std::filesystem::exists(cache / "signals.json"));

  const Signals again = load_signals(open_model_set(tiny.models), options({"identity", "mirror"}, cache));
  EXPECT_EQ(again.computed, 0);
  EXPECT_EQ(again.reused, 4);
  EXPECT_TRUE(torch::equal(again.logits, first.logits));

  // Other queries: another key for every model.
  const Signals mirrored = load_signals(open_model_set(tiny.models), options({"mirror"}, cache));
  EXPECT_EQ(mirrored.computed, 4);
  EXPECT_TRUE(torch::equal(mirrored.logits.select(2, 0), first.logits.select(2, 1)));

  // Edit model 2's weights in place (same directory, same manifest): only it is recomputed.
  load_signals(open_model_set(tiny.models), options({"identity", "mirror"}, cache));
  TensorMap w = load_tensors(tiny.models[2] / "final.pt");
  w.at("fc2.bias") = w.at("fc2.bias") + 1.0;
  save_tensors(tiny.models[2] / "final.pt", w);
  const Signals changed = load_signals(open_model_set(tiny.models), options({"identity", "mirror"}, cache));
  EXPECT_EQ(changed.computed, 1);
  EXPECT_EQ(changed.reused, 3);
  EXPECT_NE(changed.keys[2], first.keys[2]);
  for (int64_t m : {0, 1, 3}) EXPECT_TRUE(torch::equal(changed.logits[m], first.logits[m])) << m;
  EXPECT_TRUE(torch::allclose(changed.logits[2], first.logits[2] + 1.0, 1e-4, 1e-4));

  // A subset in another order reuses rows by key.
  const Signals subset = load_signals(open_model_set({tiny.models[3], tiny.models[0]}), options({"identity", "mirror"}, cache));
  EXPECT_EQ(subset.computed, 0);
  EXPECT_TRUE(torch::equal(subset.logits[0], first.logits[3]));
  // A corrupt cache is recomputed, not trusted.
  cwrf::testing::write_bytes(cache / "logits.npy", "garbage");
  const Signals rebuilt = load_signals(open_model_set(tiny.models), options({"identity", "mirror"}, cache));
  EXPECT_EQ(rebuilt.computed, 4);
}

}  // namespace
}  // namespace cwrf::attack
