// BASE as an attack family (base.h): online and offline, with LeakPro's softmax temperature and
// offline rescaling as settings.
#include "cwrf/attack/base.h"
#include "cwrf/attack/family.h"
#include "cwrf/attack/statistics.h"

#include <memory>

namespace cwrf::attack {

namespace {

BaseOptions base_options(const config::Config& c, const Variant& v) {
  BaseOptions o;
  o.online = v.options.at("online").get<bool>();
  o.temperature = c.get_float("attack.base_temperature");
  o.offline_scale = c.get_float("attack.base_offline_scale");
  return o;
}

}  // namespace

AttackFamily base_family() {
  using config::Type;
  AttackFamily f;
  f.name = "base";
  f.description = "BASE, the Bayes-optimal approximation (Lassila, Östman, Ngo & Graell i Amat 2025)";
  f.default_on = false;
  const std::vector<std::string> all = {"online", "offline"};
  f.settings = {
      {"attack.base_variants", Type::StringList, all, "BASE variants", all},
      {"attack.base_temperature", Type::Float, 2.0,
       "BASE: temperature T of the signal softmax(z/T) of the true class (LeakPro: 2; with T and gamma 1 online "
       "BASE ranks as RMIA online does)",
       {}, true, config::greater_than(0)},
      {"attack.base_offline_scale", Type::Float, 0.33,
       "BASE offline: score log s(x) - c log P_out(x), c rescaling the OUT-only threshold (LeakPro "
       "offline_scale_factor: 0.33)",
       {}, true, config::closed(0, 1)},
  };
  f.variants = [](const config::Config& c) {
    std::vector<Variant> out;
    for (const std::string& name : c.get_strings("attack.base_variants")) {
      const bool online = name == "online";
      Variant v{name, {{"online", online}, {"temperature", c.get_float("attack.base_temperature")}}};
      if (!online) v.options["offline_scale"] = c.get_float("attack.base_offline_scale");
      out.push_back(std::move(v));
    }
    return out;
  };
  f.shortfall = [](const config::Config& c, const Variant& v, const ShadowSplit& s) {
    return base_shortfall(s, base_options(c, v));
  };
  f.prepare = [](const config::Config& c, const AttackInputs& in) -> TargetScorer {
    // log s_T: RMIA's signal without a margin (base.h).
    auto log_signal = std::make_shared<SignalArray>(
        compute_log_rmia_signal(*in.logits, *in.labels, c.get_float("attack.base_temperature"), 0.0));
    return [&c, log_signal](const Variant& v, const ShadowSplit& s) {
      return TargetScores{base_scores(*log_signal, s, base_options(c, v))};
    };
  };
  return f;
}

}  // namespace cwrf::attack
