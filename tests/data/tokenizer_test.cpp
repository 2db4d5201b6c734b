#include "cwrf/common/error.h"
#include "cwrf/data/tokenizer.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace cwrf::data {
namespace {

using testing::TempDir;
using testing::write_bytes;
using Words = std::vector<std::string>;

std::string error_of_json(const nlohmann::json& j) {
  try {
    Vocabulary::from_json(j);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Tokenizer, LowerCasesAndSplitsOnNonWordBytes) {
  EXPECT_EQ(tokenize("Hello, World! It's 2002-08-22."), (Words{"hello", "world", "it", "s", "2002", "08", "22"}));
  EXPECT_EQ(tokenize("  \t\n"), Words{});
  EXPECT_EQ(tokenize(""), Words{});
  EXPECT_EQ(tokenize("a_b<c>d"), (Words{"a", "b", "c", "d"}));
  // UTF-8 words stay whole (bytes >= 0x80 are letters; not case-folded).
  EXPECT_EQ(tokenize("Caf\xC3\xA9 Z\xC3\xBCrich"), (Words{"caf\xC3\xA9", "z\xC3\xBCrich"}));
  EXPECT_EQ(count_tokens("Hello, World! It's 2002-08-22."), 7);
  EXPECT_EQ(count_tokens(""), 0);
  EXPECT_EQ(count_tokens("x"), 1);
}

TEST(Vocab, OrderByCountThenBytesWithSpecialsFirst) {
  // Counts: the 4, b 3, a 3, c 2, z 1.
  const std::vector<std::string> texts = {"the b a c", "The B, a!", "THE b a c z", "the"};
  const Vocabulary v = Vocabulary::build(texts, 100, 1);
  EXPECT_EQ(v.words(), (Words{"<pad>", "<unk>", "the", "a", "b", "c", "z"}));
  EXPECT_EQ(v.size(), 7);
  EXPECT_EQ(v.id("<pad>"), 0);
  EXPECT_EQ(v.id("the"), 2);
  EXPECT_EQ(v.id("a"), 3);
  EXPECT_EQ(v.id("never"), Vocabulary::kUnk);
  EXPECT_EQ(v.word(4), "b");
  EXPECT_THROW(v.word(7), Error);
  EXPECT_THROW(v.word(-1), Error);
}

TEST(Vocab, CapAndMinCount) {
  const std::vector<std::string> texts = {"the b a c", "The B, a!", "THE b a c z", "the"};
  // min_count 2 drops z; max_size 5 keeps 3 words (the, a, b) after the specials.
  EXPECT_EQ(Vocabulary::build(texts, 100, 2).words(), (Words{"<pad>", "<unk>", "the", "a", "b", "c"}));
  EXPECT_EQ(Vocabulary::build(texts, 5, 1).words(), (Words{"<pad>", "<unk>", "the", "a", "b"}));
  EXPECT_EQ(Vocabulary::build(texts, 5, 4).words(), (Words{"<pad>", "<unk>", "the"}));
  EXPECT_EQ(Vocabulary::build(texts, 2, 1).size(), 2);
  EXPECT_EQ(Vocabulary::build({}, 10, 1).size(), 2);
  EXPECT_THROW(Vocabulary::build(texts, 1, 1), Error);
  EXPECT_THROW(Vocabulary::build(texts, 10, 0), Error);
  EXPECT_EQ(Vocabulary().words(), (Words{"<pad>", "<unk>"}));
}

TEST(Vocab, BuildDoesNotDependOnChunking) {
  // Enough texts for several counting chunks; ties must still break by bytes.
  std::vector<std::string> texts;
  for (int i = 0; i < 5000; ++i) texts.push_back("w" + std::to_string(i % 37) + " common w" + std::to_string(i % 11));
  const Vocabulary v = Vocabulary::build(texts, 1000, 1);
  std::vector<std::string> reversed(texts.rbegin(), texts.rend());
  EXPECT_EQ(Vocabulary::build(reversed, 1000, 1).words(), v.words());
  EXPECT_EQ(v.word(2), "common");
}

TEST(Tokenizer, EncodeTruncatesPadsAndMapsUnknownsToOne) {
  const Vocabulary v = Vocabulary::build({"a b c", "a b", "a"}, 100, 1);  // a=2, b=3, c=4
  const torch::Tensor ids = v.encode({"a b c", "C, x a", "", "b b b b b b"}, 4);
  EXPECT_EQ(ids.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(ids, torch::tensor({2, 3, 4, 0, 4, 1, 2, 0, 0, 0, 0, 0, 3, 3, 3, 3}, torch::kInt64)
                                    .reshape({4, 4})));
  EXPECT_EQ(v.encode({}, 3).sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_THROW(v.encode({"a"}, 0), Error);
}

TEST(Tokenizer, EncodeManyTextsMatchesOneByOne) {
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) texts.push_back("t" + std::to_string(i % 50) + " x" + std::to_string(i % 7) + " end");
  const Vocabulary v = Vocabulary::build(texts, 30, 1);
  const torch::Tensor all = v.encode(texts, 5);
  for (int i = 0; i < 3000; i += 499) EXPECT_TRUE(torch::equal(all[i], v.encode({texts[i]}, 5)[0])) << i;
}

TEST(Vocab, JsonRoundTripEncodesIdentically) {
  TempDir dir;
  const std::vector<std::string> texts = {"Some words here", "some more words", "and MORE"};
  const Vocabulary v = Vocabulary::build(texts, 6, 1);
  v.save(dir / "vocab.json");
  const Vocabulary r = Vocabulary::load(dir / "vocab.json");
  EXPECT_EQ(r.words(), v.words());
  EXPECT_EQ(r.max_size(), 6);
  EXPECT_EQ(r.min_count(), 1);
  EXPECT_EQ(r.fingerprint(), v.fingerprint());
  EXPECT_EQ(v.fingerprint().size(), 32u);
  const std::vector<std::string> probe = {"words here and there", "MORE some unknown"};
  EXPECT_TRUE(torch::equal(r.encode(probe, 6), v.encode(probe, 6)));
  EXPECT_EQ(Vocabulary::from_json(v.to_json()).words(), v.words());
  EXPECT_NE(Vocabulary::build(texts, 5, 1).fingerprint(), v.fingerprint());
  const nlohmann::json j = v.to_json();
  EXPECT_EQ(j["format"], "cwrf-vocabulary");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["words"][0], "<pad>");
}

TEST(Vocab, CorruptJsonIsRejectedWithAClearMessage) {
  const nlohmann::json good = Vocabulary::build({"a b c"}, 10, 1).to_json();
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[key] = value;
    return j;
  };
  EXPECT_EQ(error_of_json(good), "");
  EXPECT_NE(error_of_json(with("words", {"<pad>", "<unk>", "a", "b", "a"})).find("word 4 \"a\" is a duplicate"),
            std::string::npos);
  EXPECT_NE(error_of_json(with("words", {"<unk>", "<pad>", "a"})).find("id 0 is \"<unk>\", expected \"<pad>\""),
            std::string::npos);
  EXPECT_NE(error_of_json(with("words", {"<pad>"})).find("at least the specials"), std::string::npos);
  EXPECT_NE(error_of_json(with("words", {"<pad>", "<unk>", "Hello"})).find("not a normalised token"),
            std::string::npos);
  EXPECT_NE(error_of_json(with("words", {"<pad>", "<unk>", 3})).find("word 2 is 3"), std::string::npos);
  EXPECT_NE(error_of_json(with("max_size", 3)).find("exceed its max_size 3"), std::string::npos);
  EXPECT_NE(error_of_json(with("version", 2)).find("this build reads version 1"), std::string::npos);
  EXPECT_NE(error_of_json(with("format", "other")).find("\"format\""), std::string::npos);
  nlohmann::json missing = good;
  missing.erase("words");
  EXPECT_NE(error_of_json(missing).find("missing key \"words\""), std::string::npos);
  EXPECT_NE(error_of_json(nlohmann::json::array()).find("expected a JSON object"), std::string::npos);

  TempDir dir;
  write_bytes(dir / "broken.json", "{\"format\": \"cwrf-vocabulary\", ");
  try {
    Vocabulary::load(dir / "broken.json");
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.json: invalid JSON"), std::string::npos) << e.what();
  }
  write_bytes(dir / "dup.json", with("words", {"<pad>", "<unk>", "b", "b"}).dump());
  try {
    Vocabulary::load(dir / "dup.json");
    FAIL() << "expected cwrf::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dup.json: vocabulary: word 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Vocabulary::load(dir / "absent.json"), Error);
}

}  // namespace
}  // namespace cwrf::data
