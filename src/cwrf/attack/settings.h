// The attack settings: one typed table (name, type, default, help, choices, bounds, checks) of
// the keys every attack run shares and of each family's own keys (family.h). `cwrf attack`
// generates its flags from it (attack.rmia_gamma ↔ --rmia-gamma) and an experiment's [attack]
// table is read into it (rmia_gamma = 2 ↔ attack.rmia_gamma), so both validate the same way,
// when the value is written, before any work.
#pragma once

#include "cwrf/attack/roc.h"
#include "cwrf/attack/signals.h"
#include "cwrf/config/config.h"

#include <string>
#include <vector>

namespace cwrf::attack {

const config::Schema& attack_schema();

// The command-line flag of a setting: "attack.rmia_gamma" -> "--rmia-gamma".
std::string setting_flag(const std::string& key);

// The checks that involve several keys: each selected family selects at least one variant.
// Throws Error naming the key as the user wrote it (settings.label).
void check_attack_settings(const config::Config& settings);

// The queries of the settings, or the domain's default (identity, mirror; text: identity) when
// attack.queries is empty; Error when a query does not suit models of `model_name`.
std::vector<std::string> resolved_queries(const config::Config& settings, const std::string& model_name);

// ROC options (FPR levels, bootstrap) of the settings.
RocOptions roc_options(const config::Config& settings);

}  // namespace cwrf::attack
