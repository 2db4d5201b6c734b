// `cwrf config keys` lists every config key; `cwrf config show` prints the effective
// config (defaults + files + overrides) as TOML.
#include "commands.h"

#include "cwrf/job/keys.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace cwrf::app {

void register_config_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("config", "list config keys or show an effective config");
  command->require_subcommand(1);
  auto* keys = command->add_subcommand("keys", "list every config key with its type, default and meaning");
  keys->callback([&exit_code] {
    for (const auto& o : job::schema().options()) {
      std::string def = o.default_value.is_null() ? "(set by the defense)" : o.default_value.dump();
      std::string choices;
      for (const auto& c : o.choices) choices += (choices.empty() ? " [" : "|") + c;
      if (!choices.empty()) choices += "]";
      if (!o.bounds.unbounded()) choices += " [" + o.bounds.describe() + "]";
      std::cout << fmt::format("{:<24} {:<28} {}{}\n", o.key, def, o.help, choices);
    }
    exit_code = 0;
  });
  auto inputs = std::make_shared<ConfigInputs>();
  auto* show = command->add_subcommand("show", "print the config that the given files and overrides produce");
  add_config_options(*show, *inputs);
  show->callback([inputs, &exit_code] {
    std::cout << build_config(*inputs).to_toml();
    exit_code = 0;
  });
}

}  // namespace cwrf::app
