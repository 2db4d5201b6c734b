// RMIA as an attack family (rmia.h): online and offline, with the signal (softmax with temperature and
// soft margin, or the research code's Taylor soft-margin signal), γ, offline a, the trimmed mean of
// P(x), the combination of queries and the population size as settings. The defaults are this
// project's; the help of each says what the ml_privacy_meter research code (research/2024_rmia,
// attack_configs/*/rmia_*.yaml) uses: signal taylor, T 2, m 0.6, order 4, trim 0.2, vote, γ 2,
// a 0.3, 18 queries (attack.queries = ["rmia18"]).
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
  o.trim = c.get_float("attack.rmia_trim");
  return o;
}

constexpr uint64_t kPopulationSalt = 0x706F70756C6174ULL;  // "poplat": the population subsets' draws

}  // namespace

AttackFamily rmia_family() {
  using config::Type;
  AttackFamily f;
  f.name = "rmia";
  f.description = "RMIA, the relative membership inference attack (Zarifzadeh et al. 2024)";
  const std::vector<std::string> all = {"online", "offline"};
  f.settings = {
      {"attack.rmia_variants", Type::StringList, all, "RMIA variants", all},
      {"attack.rmia_gamma", Type::Float, 2.0,
       "RMIA γ: z counts when LR(x, z) > γ (paper and research code: 2; ml_privacy_meter tool: 1)", {}, true,
       config::greater_than(0)},
      {"attack.rmia_offline_a", Type::Float, 0.3,
       "RMIA offline a: P(x) = (1+a)/2 P_out(x) + (1-a)/2 (paper: 0.3 CIFAR-10, 0.6 CIFAR-100)", {}, true,
       config::closed(0, 1)},
      {"attack.rmia_signal", Type::String, "softmax",
       "RMIA signal: softmax (softmax(z/T) of the true class, margin m off its logit) or taylor (the research "
       "code's default sm_taylor_softmax_relative: e^u replaced by its Taylor polynomial of order n)",
       {"softmax", "taylor"}},
      {"attack.rmia_temperature", Type::Float, 1.0, "RMIA signal: temperature T (research code: 2)", {}, true,
       config::greater_than(0)},
      {"attack.rmia_margin", Type::Float, 0.0, "RMIA signal: soft margin m taken off the true logit (research code: 0.6)"},
      {"attack.rmia_taylor_order", Type::Int, 4,
       "RMIA taylor signal: order n >= 2, terms up to u^(n-1)/(n-1)! (research code: 4)", {}, true,
       config::at_least(2)},
      {"attack.rmia_trim", Type::Float, 0.0,
       "RMIA P(x): proportion of the reference models cut from each end, scipy trim_mean (research code: 0.2)", {},
       true, config::half_open(0, 0.5)},
      {"attack.rmia_aggregation", Type::String, "mean",
       "RMIA over queries: mean (of each query's score) or vote (per pair, LR > γ for more than half of the "
       "queries: the research code's majority vote)",
       {"mean", "vote"}},
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
                 {"signal", c.get_string("attack.rmia_signal")},
                 {"temperature", c.get_float("attack.rmia_temperature")},
                 {"margin", c.get_float("attack.rmia_margin")},
                 {"trim", c.get_float("attack.rmia_trim")},
                 {"aggregation", c.get_string("attack.rmia_aggregation")},
                 {"population", c.get_int("attack.rmia_population")}}};
      if (c.get_string("attack.rmia_signal") == "taylor") v.options["taylor_order"] = c.get_int("attack.rmia_taylor_order");
      if (!online) v.options["offline_a"] = c.get_float("attack.rmia_offline_a");
      out.push_back(std::move(v));
    }
    return out;
  };
  f.shortfall = [](const config::Config& c, const Variant& v, const ShadowSplit& s) {
    return rmia_shortfall(s, rmia_options(c, v));
  };
  f.prepare = [](const config::Config& c, const AttackInputs& in) -> TargetScorer {
    RmiaScoring how;
    how.linear = c.get_string("attack.rmia_signal") == "taylor";
    how.vote = c.get_string("attack.rmia_aggregation") == "vote";
    const double T = c.get_float("attack.rmia_temperature"), m = c.get_float("attack.rmia_margin");
    // The softmax signal in log space (it is > 0), the Taylor signal as it is (it can be <= 0).
    auto signal = std::make_shared<SignalArray>(
        how.linear ? compute_rmia_taylor_signal(*in.logits, *in.labels, T, m, c.get_int("attack.rmia_taylor_order"))
                   : compute_log_rmia_signal(*in.logits, *in.labels, T, m));
    const int64_t population_size = c.get_int("attack.rmia_population");
    return [&c, &in, signal, population_size, how](const Variant& v, const ShadowSplit& s) {
      const RmiaOptions o = rmia_options(c, v);
      const std::vector<int64_t> population =
          rmia_population(*in.membership, s.target, population_size, per_target_seed(in.seed, kPopulationSalt, s.target));
      const std::vector<double> ratios = how.linear ? rmia_linear_ratios(*signal, s, o) : rmia_log_ratios(*signal, s, o);
      return TargetScores{rmia_scores(ratios, in.membership->examples, signal->queries, population, o.gamma, how)};
    };
  };
  return f;
}

}  // namespace cwrf::attack
