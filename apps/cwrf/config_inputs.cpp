#include "commands.h"

#include "cwrf/config/keys.h"

#include <fmt/format.h>

namespace cwrf::app {

namespace {

struct Shortcut {
  const char* flag;
  const char* key;
  const char* help;
};

// One table for the shortcut flags: flag, the key it sets, help.
const Shortcut kShortcuts[] = {
    {"--data", "data.name", "dataset (data.name)"},
    {"--data-path", "data.path", "dataset directory (data.path)"},
    {"--model", "model.name", "architecture (model.name)"},
    {"--defense", "defense.name", "training objective / defense (defense.name)"},
    {"--epochs", "epochs", "training epochs (epochs)"},
    {"--seed", "seed", "seed (seed)"},
    {"--threads", "threads", "intra-op threads, 0 = all cores (threads)"},
    {"--device", "device", "cpu or cuda (device)"},
};

}  // namespace

void add_config_options(CLI::App& command, ConfigInputs& inputs) {
  command.add_option("-c,--config", inputs.files, "TOML config file(s), applied in order")->check(CLI::ExistingFile);
  command.add_option("-s,--set", inputs.assignments, "override a config key: --set key=value (repeatable)")
      ->allow_extra_args(false);
  for (const auto& s : kShortcuts) {
    const std::string key = s.key;
    command.add_option_function<std::string>(
        s.flag, [&inputs, key](const std::string& text) { inputs.shortcuts.emplace_back(key, text); }, s.help);
  }
}

void apply_config_inputs(config::Config& c, const ConfigInputs& inputs) {
  for (const auto& file : inputs.files) c.merge_toml_file(file);
  for (const auto& [key, text] : inputs.shortcuts) c.set_text(key, text, "--" + key);
  for (const auto& a : inputs.assignments) c.set_assignment(a);
}

config::Config build_config(const ConfigInputs& inputs) {
  config::Config c(config::schema());
  apply_config_inputs(c, inputs);
  return c;
}

CLI::Validator at_least(int64_t minimum) {
  return CLI::Validator(
      [minimum](std::string& text) -> std::string {
        int64_t value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return fmt::format("'{}' is not an integer", text);
        return value >= minimum ? "" : fmt::format("must be >= {}, got {}", minimum, value);
      },
      "");
}

}  // namespace cwrf::app
