// The subcommands of the cwrf program. Each registers its options on the CLI11 app and
// runs as one function, so tests can drive it in-process.
#pragma once

#include "cwrf/config/config.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace cwrf::app {

// The config inputs every command shares: --config FILE, --set key=value (repeatable),
// and shortcut flags for the most used keys (--epochs 5 == --set epochs=5).
struct ConfigInputs {
  struct Shortcut {
    std::string key, text, flag;  // the key it sets, the value as typed, the flag (for error messages)
  };
  std::vector<std::string> files;
  std::vector<std::string> assignments;
  std::vector<Shortcut> shortcuts;  // in command-line order
};

void add_config_options(CLI::App& command, ConfigInputs& inputs);
// Defaults, then each --config file in order, then shortcuts, then --set (last wins).
config::Config build_config(const ConfigInputs& inputs);
// The same on top of an existing config (a parent model's, for `cwrf rewind`).
void apply_config_inputs(config::Config& config, const ConfigInputs& inputs);

// One flag per option of `schema` that names one (Option::flag), with its help, default and
// choices; the values given land in `given` in command-line order, to be set with
// set_given_settings (which validates each and names the flag in errors).
void add_settings_options(CLI::App& command, const config::Schema& schema, std::vector<ConfigInputs::Shortcut>& given);
void set_given_settings(config::Config& settings, const std::vector<ConfigInputs::Shortcut>& given);

// An integer option's lower bound, said in words (CLI11's PositiveNumber prints its range as a
// 300-digit double).
CLI::Validator at_least(int64_t minimum);
// cpu, cuda or cuda:N (the text only; whether the device exists is the job's first check).
CLI::Validator device_name();

// Registration of each subcommand; the callback runs it and sets the exit code.
void register_train_command(CLI::App& app, int& exit_code);
void register_cwrf_commands(CLI::App& app, int& exit_code);  // score, rewind, analyze
void register_run_command(CLI::App& app, int& exit_code);    // run, and the internal job
void register_config_command(CLI::App& app, int& exit_code);
void register_bench_command(CLI::App& app, int& exit_code);
void register_dp_command(CLI::App& app, int& exit_code);  // also adds `bench dp`: register after bench
void register_attack_command(CLI::App& app, int& exit_code);  // also adds `bench attack`: register after bench

}  // namespace cwrf::app
