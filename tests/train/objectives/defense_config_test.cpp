// The defenses in the registry and the config: names, presets per dataset/model written back into
// the effective config (and so into the model hash), foreign keys and bad names rejected.
#include "cwrf/common/error.h"
#include "cwrf/job/keys.h"
#include "cwrf/train/objectives/registry.h"

#include <gtest/gtest.h>

namespace cwrf::train {
namespace {

config::Config with(const std::string& defense, const std::string& dataset = "fashion-mnist",
                    const std::string& model = "cnn") {
  config::Config c(job::schema());
  c.set("defense", defense);
  c.set("data.name", dataset);
  c.set("model", model);
  return c;
}

std::string error_of(config::Config c) {
  try {
    make_objective(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(DefenseConfig, AllFourAreRegisteredWithNullDefaults) {
  for (const char* name : {"relaxloss", "hamp", "ccl", "past"}) {
    config::Config c = with(name);
    EXPECT_EQ(make_objective(c)->name(), name);
  }
  for (const char* key : {"defense.alpha", "defense.upper", "defense.gamma", "defense.beta", "defense.lambda",
                          "defense.refresh_steps", "defense.member_size", "defense.nonmember_size", "defense.module"}) {
    const config::Option* o = job::schema().find(key);
    ASSERT_NE(o, nullptr) << key;
    EXPECT_TRUE(o->default_value.is_null()) << key;
    EXPECT_TRUE(o->hashed) << key;
  }
}

TEST(DefenseConfig, RelaxLossAlphaPresets) {
  auto alpha_for = [](const std::string& dataset, const std::string& model) {
    config::Config c = with("relaxloss", dataset, model);
    make_objective(c);
    return c.get_float("defense.alpha");
  };
  EXPECT_DOUBLE_EQ(alpha_for("cifar10", "resnet18"), 1.0);   // reference CIFAR10_resnet20.yml
  EXPECT_DOUBLE_EQ(alpha_for("cifar100", "resnet18"), 3.0);  // reference CIFAR100_resnet20.yml
  EXPECT_DOUBLE_EQ(alpha_for("idx", "cnn"), 1.0);            // no preset: the reference default
  const double fmnist = alpha_for("fashion-mnist", "cnn");   // our sweep (docs/defenses.md)
  EXPECT_GT(fmnist, 0.0);
  EXPECT_LT(fmnist, 1.0);
  config::Config c = with("relaxloss", "cifar100", "resnet18");
  c.set("defense.alpha", 0.7);
  make_objective(c);
  EXPECT_DOUBLE_EQ(c.get_float("defense.alpha"), 0.7);  // a set value wins over the preset
  EXPECT_DOUBLE_EQ(c.get_float("defense.upper"), 1.0);
}

TEST(DefenseConfig, HampPresets) {
  config::Config ten = with("hamp", "cifar10", "resnet18");
  make_objective(ten);
  EXPECT_DOUBLE_EQ(ten.get_float("defense.gamma"), 0.95);
  EXPECT_DOUBLE_EQ(ten.get_float("defense.alpha"), 0.001);
  config::Config hundred = with("hamp", "cifar100", "vit");
  make_objective(hundred);
  EXPECT_DOUBLE_EQ(hundred.get_float("defense.gamma"), 0.5);
  EXPECT_DOUBLE_EQ(hundred.get_float("defense.alpha"), 0.005);
}

TEST(DefenseConfig, ResolvedKnobsChangeTheModelIdentity) {
  config::Config a = with("relaxloss");
  config::Config b = with("relaxloss");
  b.set("defense.alpha", 0.123);
  make_objective(a);
  make_objective(b);
  EXPECT_NE(a.canonical_text().find("defense.alpha"), std::string::npos);
  EXPECT_NE(a.canonical_text(), b.canonical_text());
  EXPECT_NE(a.to_toml().find("alpha"), std::string::npos);  // the effective config is complete
}

TEST(DefenseConfig, KeysOfAnotherDefenseAndUnknownNamesAreRejected) {
  config::Config c = with("relaxloss");
  c.set("defense.gamma", 0.9);
  const std::string e = error_of(c);
  EXPECT_NE(e.find("'defense.gamma'"), std::string::npos) << e;
  EXPECT_NE(e.find("relaxloss"), std::string::npos) << e;
  config::Config p = with("ccl");
  p.set("defense.lambda", 1e-4);
  EXPECT_NE(error_of(p).find("'defense.lambda'"), std::string::npos);
  // An unknown defense is refused when it is set.
  config::Config unknown(job::schema());
  try {
    unknown.set("defense", "relaxlos");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown value 'relaxlos'; expected one of: ce, relaxloss"), std::string::npos);
  }
  // Shared keys are fine for each defense that declares them.
  for (const char* name : {"relaxloss", "hamp", "ccl"}) {
    config::Config s = with(name);
    s.set("defense.alpha", 0.5);
    EXPECT_EQ(error_of(s), "no error") << name;
  }
}

}  // namespace
}  // namespace cwrf::train
