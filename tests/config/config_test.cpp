#include "cwrf/common/error.h"
#include "cwrf/config/config.h"
#include "cwrf/job/keys.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace cwrf::config {
namespace {

using job::schema;

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
  EXPECT_NE(error_of([&] { c.merge_toml_string("epochs = [1, 2]", "x.toml"); }).find("'epochs' must be an integer, got [1,2]"), std::string::npos);
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

// Ranges are checked when a value is set, and the error names the key and where it came from.
TEST(Config, RangesAreCheckedWhereTheValueIsWritten) {
  Config c(schema());
  EXPECT_NE(error_of([&] { c.set_assignment("epochs=0"); }).find("config key 'epochs' must be >= 1, got 0 (from --set epochs=0)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.set_assignment("adam.beta1=1.0"); }).find("'adam.beta1' must be in [0, 1), got 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.merge_toml_string("lr = -1", "x.toml"); }).find("'lr' must be > 0, got -1 (from x.toml)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.set_text("threads", "-2", "--threads"); }).find("--threads must be >= 0, got -2"),
            std::string::npos);
  EXPECT_EQ(c.get_int("epochs"), 100);  // a refused value leaves the old one
}

TEST(Config, ListsFromTomlArraysAndCommaText) {
  Schema s;
  s.add({{"names", Type::StringList, Json::array(), "", {"a", "b", "c"}},
         {"levels", Type::FloatList, std::vector<double>{0.1}, "", {}, true, open(0, 1)}});
  Config c(s);
  c.merge_toml_string("names = [\"a\", \"c\"]\nlevels = [0.5, 1e-3]\n", "t.toml");
  EXPECT_EQ(c.get_strings("names"), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(c.get_floats("levels"), (std::vector<double>{0.5, 1e-3}));
  c.set_text("names", "b,a", "--names");
  EXPECT_EQ(c.get_strings("names"), (std::vector<std::string>{"b", "a"}));
  c.set_text("levels", "0.25", "--levels");
  EXPECT_EQ(c.get_floats("levels"), (std::vector<double>{0.25}));
  EXPECT_NE(error_of([&] { c.set_text("names", "a,z", "--names"); }).find("--names has unknown value 'z'"), std::string::npos);
  EXPECT_NE(error_of([&] { c.set_text("levels", "0.1,x", "--levels"); }).find("--levels must be a list of numbers, got 'x'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.merge_toml_string("levels = [0.5, 1]", "t.toml"); }).find("'levels' must be in (0, 1), got 1"),
            std::string::npos);
  // Lists round-trip through TOML and keep their origin for error messages.
  Config d(s);
  d.merge_toml_string(c.to_toml(), "again.toml");
  EXPECT_EQ(d.get_strings("names"), c.get_strings("names"));
  EXPECT_EQ(d.label("names"), "config key 'names' (from again.toml)");
  EXPECT_EQ(c.label("levels"), "--levels");
  EXPECT_EQ(Config(s).label("levels"), "config key 'levels'");
}

TEST(Config, ChecksOfTheirOwn) {
  Schema s;
  s.add({{"even", Type::Int, 0, "", {}, true, {}, [](const Json& v) -> std::string {
            return v.get<int64_t>() % 2 == 0 ? "" : "must be even";
          }}});
  Config c(s);
  c.set_text("even", "4", "--even");
  EXPECT_EQ(c.get_int("even"), 4);
  EXPECT_EQ(error_of([&] { c.set_text("even", "3", "--even"); }), "--even must be even");
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
