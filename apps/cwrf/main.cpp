// cwrf: Critical Weights Rewinding and Finetuning — one binary for training, CWRF,
// membership inference attacks and whole experiments. `cwrf --help` lists the commands.
#include "commands.h"

#include "cwrf/common/blas.h"
#include "cwrf/common/error.h"

#include <c10/util/Exception.h>
#include <torch/version.h>
#include <fmt/format.h>

#include <malloc.h>

#include <iostream>

namespace {

// LibTorch messages carry a C++ backtrace; the first line is the message.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

int main(int argc, char** argv) {
  // First of all: the BLAS core is fixed when OpenBLAS loads, so a better one means running
  // again with OPENBLAS_CORETYPE set (common/blas.h); this may not return.
  if (const std::string warning = cwrf::blas::select_core(argc, argv); !warning.empty())
    std::cerr << "cwrf: warning: " << warning << "\n";
  // Keep activation-sized buffers (tens of MB) in the heap instead of returning them to the
  // kernel after every step: otherwise each training step faults them in again (over a
  // million page faults per short CNN benchmark; 1.2-1.4x slower, docs/performance.md).
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  CLI::App app{"cwrf: find the few weights that carry a network's membership-privacy risk, rewind and freeze them,\n"
               "fine-tune the rest with a privacy-preserving objective, and measure it with LiRA and RMIA."};
  app.set_version_flag("--version", [] {
    return fmt::format("cwrf {} (LibTorch {})\n{}", CWRF_VERSION, TORCH_VERSION, cwrf::blas::info().describe());
  });
  app.require_subcommand(1);
  int exit_code = 1;
  cwrf::app::register_run_command(app, exit_code);
  cwrf::app::register_train_command(app, exit_code);
  cwrf::app::register_cwrf_commands(app, exit_code);
  cwrf::app::register_config_command(app, exit_code);
  cwrf::app::register_bench_command(app, exit_code);
  cwrf::app::register_dp_command(app, exit_code);
  cwrf::app::register_attack_command(app, exit_code);
  try {
    // A first word that is no command would otherwise read as "a subcommand is required".
    if (argc > 1 && argv[1][0] != '-') {
      bool known = false;
      std::string commands;
      for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        if (sub->get_name() == argv[1]) known = true;
        if (!sub->get_group().empty()) commands += (commands.empty() ? "" : ", ") + sub->get_name();
      }
      if (!known) throw cwrf::Error(fmt::format("unknown command '{}'; commands: {}", argv[1], commands));
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and succeed; every other parse error is bad input: one line.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::cerr << "cwrf: error: " << first_line(e.what()) << " (see --help)\n";
    return 1;
  } catch (const cwrf::Error& e) {
    std::cerr << "cwrf: error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "cwrf: error (LibTorch): " << first_line(e.what_without_backtrace()) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cwrf: error: " << e.what() << "\n";
    return 2;
  }
  return exit_code;
}
