// RMIA as an attack family (rmia.h): online and offline, with the signal's temperature and
// soft margin, γ, offline a and the population size as settings.
#include "cwrf/attack/family.h"
#include "cwrf/attack/rmia.h"

#include <memory>

namespace cwrf::attack {

namespace {

RmiaOptions rmia_options(const config::Config& c, const Variant& v) {
  RmiaOptions o;
  o.online = v.options.at("online").get<bool>();
  o.offline_a = c.get_float("attack.rmia_offline_a");
  o.gamma = c.get_float("attack.rmia_gamma");
  return o;
}

// A per-target population seed that differs between targets and from other families' draws.
uint64_t population_seed(uint64_t seed, int64_t target) {
  return seed * 0x9E3779B97F4A7C15ULL ^ (0x706F70756C6174ULL + static_cast<uint64_t>(target) * 0xBF58476D1CE4E5B9ULL);
}

}  // namespace

AttackFamily rmia_family() {
  using config::Type;
  AttackFamily f;
  f.name = "rmia";
  f.description = "RMIA, the relative membership inference attack (Zarifzadeh et al. 2024)";
  const std::vector<std::string> all = {"online", "offline"};
  f.settings = {
      {"attack.rmia_variants", Type::StringList, all, "RMIA variants", all},
      {"attack.rmia_gamma", Type::Float, 2.0, "RMIA γ: z counts when LR(x, z) > γ (paper: 2; ml_privacy_meter tool: 1)",
       {}, true, config::greater_than(0)},
      {"attack.rmia_offline_a", Type::Float, 0.3,
       "RMIA offline a: P(x) = (1+a)/2 P_out(x) + (1-a)/2 (paper: 0.3 CIFAR-10, 0.6 CIFAR-100)", {}, true,
       config::closed(0, 1)},
      {"attack.rmia_temperature", Type::Float, 1.0, "RMIA signal: softmax temperature T", {}, true,
       config::greater_than(0)},
      {"attack.rmia_margin", Type::Float, 0.0, "RMIA signal: soft margin m on the true logit"},
      {"attack.rmia_population", Type::Int, 0,
       "RMIA population size |Z|: a seeded subset of the target's non-members (0: all)", {}, true, config::at_least(0)},
  };
  f.variants = [](const config::Config& c) {
    std::vector<Variant> out;
    for (const std::string& name : c.get_strings("attack.rmia_variants")) {
      const bool online = name == "online";
      Variant v{name,
                {{"online", online},
                 {"gamma", c.get_float("attack.rmia_gamma")},
                 {"temperature", c.get_float("attack.rmia_temperature")},
                 {"margin", c.get_float("attack.rmia_margin")},
                 {"population", c.get_int("attack.rmia_population")}}};
      if (!online) v.options["offline_a"] = c.get_float("attack.rmia_offline_a");
      out.push_back(std::move(v));
    }
    return out;
  };
  f.shortfall = [](const config::Config& c, const Variant& v, const ShadowSplit& s) {
    return rmia_shortfall(s, rmia_options(c, v));
  };
  f.prepare = [](const config::Config& c, const AttackInputs& in) -> TargetScorer {
    auto log_signal = std::make_shared<SignalArray>(compute_log_rmia_signal(
        *in.logits, *in.labels, c.get_float("attack.rmia_temperature"), c.get_float("attack.rmia_margin")));
    const int64_t population_size = c.get_int("attack.rmia_population");
    return [&c, &in, log_signal, population_size](const Variant& v, const ShadowSplit& s) {
      const RmiaOptions o = rmia_options(c, v);
      const std::vector<int64_t> population =
          rmia_population(*in.membership, s.target, population_size, population_seed(in.seed, s.target));
      const std::vector<double> ratios = rmia_log_ratios(*log_signal, s, o);
      return TargetScores{rmia_scores(ratios, in.membership->examples, log_signal->queries, population, o.gamma)};
    };
  };
  return f;
}

}  // namespace cwrf::attack
