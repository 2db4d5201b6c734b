#include "commands.h"

#include "cwrf/common/device.h"
#include "cwrf/job/keys.h"

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
    {"--device", "device", "cpu, cuda or cuda:N (device)"},
};

}  // namespace

void add_config_options(CLI::App& command, ConfigInputs& inputs) {
  command.add_option("-c,--config", inputs.files, "TOML config file(s), applied in order");
  command.add_option("-s,--set", inputs.assignments, "override a config key: --set key=value (repeatable)")
      ->allow_extra_args(false);
  for (const auto& s : kShortcuts) {
    const std::string key = s.key;
    const std::string flag = s.flag;
    command.add_option_function<std::string>(
        s.flag, [&inputs, key, flag](const std::string& text) { inputs.shortcuts.push_back({key, text, flag}); }, s.help);
  }
}

void apply_config_inputs(config::Config& c, const ConfigInputs& inputs) {
  for (const auto& file : inputs.files) c.merge_toml_file(file);
  for (const auto& shortcut : inputs.shortcuts) c.set_text(shortcut.key, shortcut.text, shortcut.flag);
  for (const auto& a : inputs.assignments) c.set_assignment(a);
}

config::Config build_config(const ConfigInputs& inputs) {
  config::Config c(job::schema());
  apply_config_inputs(c, inputs);
  return c;
}

void add_settings_options(CLI::App& command, const config::Schema& schema, std::vector<ConfigInputs::Shortcut>& given) {
  for (const config::Option& o : schema.options()) {
    if (o.flag.empty()) continue;
    std::string help = o.help;
    if (!o.choices.empty()) help += fmt::format(" [{}]", fmt::join(o.choices, ", "));
    const std::string default_text = config::value_text(o.default_value);
    help += fmt::format(" (default: {})", default_text.empty() ? "none" : default_text);
    if (!o.bounds.unbounded()) help += " [" + o.bounds.describe() + "]";
    const std::string key = o.key, flag = o.flag;
    const char* type = o.type == config::Type::Int          ? "INT"
                       : o.type == config::Type::Float      ? "NUMBER"
                       : o.type == config::Type::StringList ? "LIST"
                       : o.type == config::Type::FloatList  ? "NUMBERS"
                       : o.type == config::Type::Bool       ? "BOOL"
                                                            : "TEXT";
    command
        .add_option_function<std::string>(
            o.flag, [&given, key, flag](const std::string& text) { given.push_back({key, text, flag}); }, help)
        ->type_name(type);
  }
}

void set_given_settings(config::Config& settings, const std::vector<ConfigInputs::Shortcut>& given) {
  for (const auto& g : given) settings.set_text(g.key, g.text, g.flag);
}

CLI::Validator device_name() {
  return CLI::Validator([](std::string& text) { return device_syntax_error(text); }, "cpu|cuda|cuda:N");
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
