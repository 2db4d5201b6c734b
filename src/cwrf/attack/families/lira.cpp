// LiRA as an attack family (lira.h): four variants, online/offline × per-example/fixed variance.
#include "cwrf/attack/family.h"
#include "cwrf/attack/lira.h"

namespace cwrf::attack {

namespace {

LiraOptions lira_options(const Variant& v) {
  return {v.options.at("online").get<bool>(), v.options.at("fixed_variance").get<bool>()};
}

}  // namespace

AttackFamily lira_family() {
  AttackFamily f;
  f.name = "lira";
  f.description = "LiRA, the likelihood-ratio attack (Carlini et al. 2022)";
  const std::vector<std::string> all = {"online", "online-fixed", "offline", "offline-fixed"};
  f.settings = {{"attack.lira_variants", config::Type::StringList, all, "LiRA variants", all}};
  f.variants = [](const config::Config& c) {
    std::vector<Variant> out;
    for (const std::string& name : c.get_strings("attack.lira_variants")) {
      const LiraOptions o{name.rfind("online", 0) == 0, name.find("fixed") != std::string::npos};
      out.push_back({lira_variant(o), {{"online", o.online}, {"fixed_variance", o.fixed_variance}}});
    }
    return out;
  };
  f.shortfall = [](const config::Config&, const Variant& v, const ShadowSplit& s) {
    return lira_shortfall(s, lira_options(v));
  };
  f.prepare = [](const config::Config&, const AttackInputs& in) -> TargetScorer {
    return [&in](const Variant& v, const ShadowSplit& s) {
      return TargetScores{lira_scores(in.stats->logit_scaled, s, lira_options(v))};
    };
  };
  return f;
}

}  // namespace cwrf::attack
