// BaVarIA as an attack family (bavaria.h): Student-t and stabilised-Gaussian predictives, online and
// offline, with the NIG prior's κ0, α0 and kind as settings (defaults: the author's code).
#include "cwrf/attack/bavaria.h"
#include "cwrf/attack/family.h"

namespace cwrf::attack {

namespace {

BavariaOptions bavaria_options(const config::Config& c, const Variant& v) {
  BavariaOptions o;
  o.online = v.options.at("online").get<bool>();
  o.student_t = v.options.at("student_t").get<bool>();
  o.kappa0 = c.get_float("attack.bavaria_kappa0");
  o.alpha0 = c.get_float("attack.bavaria_alpha0");
  o.prior = c.get_string("attack.bavaria_prior");
  return o;
}

}  // namespace

AttackFamily bavaria_family() {
  using config::Type;
  AttackFamily f;
  f.name = "bavaria";
  f.description = "BaVarIA, Bayesian variance inference attacks (Brännvall 2026)";
  f.default_on = false;
  const std::vector<std::string> all = {"t-online", "t-offline", "n-online", "n-offline"};
  f.settings = {
      {"attack.bavaria_variants", Type::StringList, all,
       "BaVarIA variants: t (Student-t predictive) or n (Gaussian, posterior-mean variance), online or offline", all},
      {"attack.bavaria_kappa0", Type::Float, 1.0, "BaVarIA prior: kappa0, pseudo-observations of the mean (author: 1)",
       {}, true, config::greater_than(0)},
      {"attack.bavaria_alpha0", Type::Float, 0.0,
       "BaVarIA prior: alpha0 of the inverse-gamma variance prior (0: the author's 1 for n, 2 for t)", {}, true,
       config::at_least(0)},
      {"attack.bavaria_prior", Type::String, "moments",
       "BaVarIA prior: moments (the author's: mu0 and beta0 from the mean and variance of all shadow values) or fit "
       "(beta0, and alpha0 when 0, by maximum marginal likelihood of the within-example spread)",
       {"moments", "fit"}},
  };
  f.variants = [](const config::Config& c) {
    std::vector<Variant> out;
    for (const std::string& name : c.get_strings("attack.bavaria_variants")) {
      BavariaOptions o;
      o.student_t = name[0] == 't';
      o.online = name.find("online") != std::string::npos;
      o.kappa0 = c.get_float("attack.bavaria_kappa0");
      o.alpha0 = c.get_float("attack.bavaria_alpha0");
      out.push_back({bavaria_variant(o),
                     {{"online", o.online},
                      {"student_t", o.student_t},
                      {"kappa0", o.kappa0},
                      {"alpha0", bavaria_alpha0(o)},
                      {"prior", c.get_string("attack.bavaria_prior")}}});
    }
    return out;
  };
  f.shortfall = [](const config::Config& c, const Variant& v, const ShadowSplit& s) {
    return bavaria_shortfall(s, bavaria_options(c, v));
  };
  f.prepare = [](const config::Config& c, const AttackInputs& in) -> TargetScorer {
    return [&c, &in](const Variant& v, const ShadowSplit& s) {
      return TargetScores{bavaria_scores(in.stats->logit_scaled, s, bavaria_options(c, v))};
    };
  };
  return f;
}

}  // namespace cwrf::attack
