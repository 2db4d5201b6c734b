// The text pipeline end to end on a generated label,text CSV: tokenising with a vocabulary from
// the training file, the Transformer trained by the ordinary job (and by DP-SGD), vocab.json in
// the model directory, identity-only attack signals, and clear errors for mismatched domains.
#include "cwrf/attack/model_set.h"
#include "cwrf/attack/signals.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/job/keys.h"
#include "cwrf/data/batches.h"
#include "cwrf/data/tokenizer.h"
#include "cwrf/train/evaluate.h"
#include "cwrf/job/model_dir.h"
#include "cwrf/job/model_job.h"
#include "cwrf/models/model_state.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

namespace cwrf::job {
namespace {

using models::model_state;
using train::EvalResult;
using train::evaluate;
using train::predict_logits;

// Two classes told apart by which word list a text draws from, plus shared filler words.
std::string generated_csv(int64_t rows, uint32_t seed) {
  const std::vector<std::string> a = {"free", "offer", "money", "win", "click", "cash"};
  const std::vector<std::string> b = {"meeting", "report", "lunch", "patch", "review", "notes"};
  const std::vector<std::string> filler = {"the", "a", "to", "and", "of", "we", "you", "it"};
  std::mt19937 rng(seed);
  std::string out;
  for (int64_t i = 0; i < rows; ++i) {
    const int label = static_cast<int>(rng() % 2);
    const auto& words = label == 0 ? b : a;
    std::string text;
    const int n = 3 + static_cast<int>(rng() % 12);
    for (int w = 0; w < n; ++w) {
      text += (rng() % 3 == 0 ? words[rng() % words.size()] : filler[rng() % filler.size()]);
      text += w + 1 < n ? " " : "";
    }
    out += std::to_string(label) + ",\"" + text + ", id " + std::to_string(i) + "\"\n";
  }
  return out;
}

class TextJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cwrf::testing::write_bytes(dir_ / "data" / "train.csv", generated_csv(400, 1));
    cwrf::testing::write_bytes(dir_ / "data" / "test.csv", generated_csv(100, 2));
  }
  config::Config text_config() const {
    return cwrf::testing::job_config({
        {"data.name", "text-csv"},
        {"data.path", (dir_ / "data").string()},
        {"data.train_size", 100},
        {"data.ref_size", 40},
        {"data.seq_len", 12},
        {"data.vocab_size", 40},
        {"data.min_count", 1},
        {"model.name", "transformer"},
        {"model.width", 16},
        {"model.heads", 2},
        {"model.mlp_dim", 16},
        {"split.models", 4},
        {"epochs", 3},
        {"batch_size", 16},
        {"lr", 3e-3},
        {"threads", 1}});
  }
  cwrf::testing::TempDir dir_;
};

TEST_F(TextJobTest, TrainsTheTransformerAndSavesItsVocabulary) {
  config::Config c = text_config();
  c.set("epochs", 20);
  const auto result = job::run_model_job(c, dir_ / "runs", {});
  EXPECT_EQ(result.dir.filename().string().rfind("transformer-ce-m0-", 0), 0u) << result.dir;
  EXPECT_GT(result.metrics.at("test_acc").get<double>(), 0.75);  // the word lists separate the classes
  // The resolved config records the sequence length; vocab.json reloads to the same tokens.
  const ModelDir dir = open_model_dir(result.dir);
  EXPECT_EQ(dir.manifest.at("config").at("data.seq_len").get<int64_t>(), 12);
  EXPECT_EQ(dir.spec.seq_len, 12);
  EXPECT_EQ(dir.spec.vocab_size, 40);
  const data::Vocabulary vocabulary = data::Vocabulary::load(result.dir / "vocab.json");
  const JobData job = load_job_data(c);
  ASSERT_TRUE(job.data.vocabulary);
  EXPECT_EQ(vocabulary.fingerprint(), job.data.vocabulary->fingerprint());
  EXPECT_EQ(job.data.train.inputs.scalar_type(), torch::kLong);
  EXPECT_EQ(job.data.train.inputs.sizes(), (std::vector<int64_t>{400, 12}));
  // A reloaded model reproduces the recorded test metrics.
  auto model = load_model(dir, "final");
  const auto test = data::prepare(job.data.test, torch::Tensor(), job.normalization);
  EXPECT_DOUBLE_EQ(evaluate(*model, test, 64).accuracy, result.metrics.at("test_acc").get<double>());
}

TEST_F(TextJobTest, DpSgdTrainsTheTransformer) {
  config::Config c = text_config();
  c.set("defense.name", "dpsgd");
  c.set("dp.epsilon", 8.0);
  c.set("epochs", 1);
  const auto result = job::run_model_job(c, dir_ / "runs", {});
  EXPECT_NEAR(result.metrics.at("epsilon").get<double>(), 8.0, 0.1);
  EXPECT_TRUE(std::isfinite(result.metrics.at("test_loss").get<double>()));
}

TEST_F(TextJobTest, AttackSignalsUseTheIdentityQueryOnly) {
  std::vector<std::filesystem::path> dirs;
  for (int64_t k = 0; k < 4; ++k) {
    config::Config c = text_config();
    c.set("epochs", 1);
    c.set("split.model", k);
    dirs.push_back(job::run_model_job(c, dir_ / "runs", {}).dir);
  }
  const attack::ModelSet set = attack::open_model_set(dirs);
  EXPECT_EQ(attack::default_queries(set), (std::vector<std::string>{"identity"}));
  attack::SignalOptions options;
  options.queries = attack::parse_queries(attack::default_queries(set));
  const attack::Signals signals = attack::load_signals(set, options);
  EXPECT_EQ(signals.logits.sizes(), (std::vector<int64_t>{4, set.pool.size(0), 1, 2}));
  // A mirror query is refused for text, naming the query.
  options.queries = attack::parse_queries({"identity", "mirror"});
  try {
    attack::load_signals(set, options);
    ADD_FAILURE() << "mirror accepted on text";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'mirror'"), std::string::npos) << e.what();
  }
}

TEST_F(TextJobTest, MismatchedDomainsAreClearErrors) {
  config::Config c = text_config();
  c.set("model.name", "cnn");
  try {
    job::run_model_job(c, dir_ / "runs", {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("transformer"), std::string::npos) << e.what();
  }
  c = text_config();
  c.set("data.train_csv", "missing.csv");
  EXPECT_THROW(job::run_model_job(c, dir_ / "runs", {}), Error);
  cwrf::testing::write_synthetic_idx_dataset(dir_ / "images", 200, 50, 8, 3);
  config::Config images(job::schema());
  images.set("data.name", "idx");
  images.set("data.path", (dir_ / "images").string());
  images.set("data.train_size", 50);
  images.set("data.ref_size", 20);
  images.set("model.name", "transformer");
  try {
    job::run_model_job(images, dir_ / "runs", {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds images"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cwrf::job
