#include "cwrf/common/error.h"
#include "cwrf/config/config.h"
#include "cwrf/config/keys.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace cwrf::config {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsThenTomlThenSetOverrides) {
  Config c(schema());
  EXPECT_EQ(c.get_string("model"), "cnn");
  EXPECT_EQ(c.get_int("batch_size"), 256);
  c.merge_toml_string("epochs = 7\nlr = 0.01\n[model]\nname = \"vit\"\nwidth = 32\n[data]\nname = \"cifar10\"\n", "t.toml");
  EXPECT_EQ(c.get_int("epochs"), 7);
  EXPECT_EQ(c.get_string("model.name"), "vit");
  EXPECT_EQ(c.get_int("model.width"), 32);
  c.set_assignment("lr=2e-3");
  c.set_assignment("model=resnet18");
  EXPECT_DOUBLE_EQ(c.get_float("lr"), 2e-3);
  EXPECT_EQ(c.get_string("model"), "resnet18");
}

TEST(Config, NamedGroupShorthandInToml) {
  Config c(schema());
  c.merge_toml_string("model = \"vit\"\ndefense = \"ce\"\n", "t.toml");
  EXPECT_EQ(c.get_string("model.name"), "vit");
}

TEST(Config, IntegersAreAcceptedForFloats) {
  Config c(schema());
  c.merge_toml_string("lr = 1\n", "t.toml");
  EXPECT_DOUBLE_EQ(c.get_float("lr"), 1.0);
}

TEST(Config, UnknownKeyIsNamedWithItsOriginAndNeighbours) {
  Config c(schema());
  auto msg = error_of([&] { c.merge_toml_string("[model]\nwidht = 3\n", "exp.toml"); });
  EXPECT_NE(msg.find("unknown config key 'model.widht'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("exp.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.width"), std::string::npos) << msg;
}

TEST(Config, WrongTypesAndChoicesAreRejected) {
  Config c(schema());
  EXPECT_NE(error_of([&] { c.set_assignment("epochs=ten"); }).find("must be an integer"), std::string::npos);
  EXPECT_NE(error_of([&] { c.set_assignment("epochs=1.5"); }).find("must be an integer"), std::string::npos);
  EXPECT_NE(error_of([&] { c.merge_toml_string("lr = \"fast\"", "x.toml"); }).find("must be a number"), std::string::npos);
  EXPECT_NE(error_of([&] { c.set_assignment("model=alexnet"); }).find("expected one of"), std::string::npos);
  EXPECT_NE(error_of([&] { c.set_assignment("noequals"); }).find("key=value"), std::string::npos);
  EXPECT_NE(error_of([&] { c.set_assignment("lr=nan"); }).find("finite"), std::string::npos);
  EXPECT_NE(error_of([&] { c.merge_toml_string("epochs = [1, 2]", "x.toml"); }).find("unsupported value"), std::string::npos);
  EXPECT_NE(error_of([&] { c.merge_toml_string("epochs = ", "bad.toml"); }).find("bad.toml:1"), std::string::npos);
}

TEST(Config, MissingFileIsNamed) {
  Config c(schema());
  EXPECT_NE(error_of([&] { c.merge_toml_file("/no/such/file.toml"); }).find("/no/such/file.toml"), std::string::npos);
}

TEST(Config, TomlRoundTripAndCanonicalTextIgnoresRuntimeKeys) {
  Config a(schema());
  a.merge_toml_string("epochs = 3\n[model]\nname = \"vit\"\ndepth = 2\n", "t");
  Config b(schema());
  b.merge_toml_string(a.to_toml(), "roundtrip");
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_EQ(a.canonical_text(), b.canonical_text());
  b.set_assignment("threads=7");
  EXPECT_EQ(a.canonical_text(), b.canonical_text());  // threads cannot change results
  b.set_assignment("seed=1");
  EXPECT_NE(a.canonical_text(), b.canonical_text());
}

TEST(Config, TrainOptionsValidateRanges) {
  Config c(schema());
  c.set_assignment("epochs=0");
  EXPECT_NE(error_of([&] { train_options(c); }).find("'epochs' must be > 0"), std::string::npos);
  Config d(schema());
  d.set_assignment("adam.beta1=1.0");
  EXPECT_NE(error_of([&] { train_options(d); }).find("adam.beta1"), std::string::npos);
  Config e(schema());
  e.set_assignment("lr=-1");
  EXPECT_NE(error_of([&] { train_options(e); }).find("'lr' must be > 0"), std::string::npos);
}

TEST(Config, ChangedKeysClearAndReset) {
  // The train job refuses changed cwrf.* keys; a cleared key (null: not written, not hashed) and a
  // reset one (back to its default) are not changes.
  Config c(schema());
  EXPECT_TRUE(c.changed_keys("cwrf.").empty());
  c.set("cwrf.rate", 0.2);
  c.set("cwrf.batch_size", 64);
  EXPECT_EQ(c.changed_keys("cwrf."), (std::vector<std::string>{"cwrf.batch_size", "cwrf.rate"}));
  Config cleared = c;
  cleared.clear_prefix("cwrf.");
  EXPECT_TRUE(cleared.changed_keys("cwrf.").empty());
  EXPECT_FALSE(cleared.has("cwrf.rate"));
  c.reset_prefix("cwrf.");
  EXPECT_TRUE(c.changed_keys("cwrf.").empty());
  EXPECT_DOUBLE_EQ(c.get_float("cwrf.rate"), 0.05);
}

}  // namespace
}  // namespace cwrf::config
