#include "cwrf/experiment/runner.h"

#include "cwrf/attack/attack_job.h"
#include "cwrf/attack/settings.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/progress.h"
#include "cwrf/common/threads.h"
#include "cwrf/experiment/plan.h"
#include "cwrf/experiment/report.h"
#include "cwrf/experiment/scheduler.h"
#include "cwrf/job/job_data.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <map>

namespace cwrf::experiment {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::string slug(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "row" : out;
}

RowRun attack_row(const Experiment& e, const AttackJob& job, const std::vector<ModelResult>& models,
                  const fs::path& attacks_root, int64_t threads, bool& ran, const RunCallbacks& callbacks) {
  RowRun out;
  out.row = job.row;
  out.run = job.run;
  std::vector<fs::path> dirs;
  for (int index : job.models) dirs.push_back(models[index].dir);
  for (int64_t t = 0; t < e.targets(); ++t)
    out.target_test_acc.push_back(models[job.models[t]].metrics.value("test_acc", std::nan("")));
  const attack::AttackJob attack = row_attack_job(e, job, dirs, attacks_root, threads);
  out.attack_dir = attack.out;
  attack::AttackJobCallbacks attack_callbacks;
  attack_callbacks.log = callbacks.log;
  const attack::AttackJobResult result = attack::run_attack_job(attack, attack_callbacks);
  ran = !result.reused;
  out.attack = result.results;
  return out;
}

}  // namespace

attack::AttackJob row_attack_job(const Experiment& e, const AttackJob& job, const std::vector<fs::path>& model_dirs,
                                 const fs::path& attacks_root, int64_t threads) {
  attack::AttackJob attack(attack_settings(e, job.run));
  attack.models = model_dirs;
  // One folder per row and run; results.json records the job's key (models, settings, queries),
  // so a finished attack is reused only while nothing that determines it has changed.
  attack.out = attacks_root / fmt::format("{}-run{}", slug(e.rows[job.row].name), job.run);
  attack.cache = attack.out / "signals";
  attack.threads = threads;
  attack.device = e.base.get_string("device");
  attack.reuse = true;
  attack.extra = {{"row", e.rows[job.row].name}, {"run", job.run}};
  return attack;
}

RunSummary run_experiment(const Experiment& e, const RunCallbacks& callbacks, const fs::path& executable) {
  const auto started = Clock::now();
  auto log = [&](const std::string& line) {
    if (callbacks.log) callbacks.log(line);
  };
  const Plan plan = make_plan(e);
  const int64_t threads = resolve_threads(e.settings.get_int("experiment.threads"));
  const bool cuda = e.base.get_string("device") == "cuda";
  if (cuda) job::resolve_device(e.base);  // fails early with the clear message
  // Independent CPU models train faster side by side, one thread each (docs/DESIGN.md); one GPU runs one job at a time.
  const int64_t requested_jobs = e.settings.get_int("experiment.jobs");
  const int64_t jobs = requested_jobs > 0 ? requested_jobs : (cuda ? 1 : threads);
  SchedulerOptions options;
  options.executable = executable;
  options.models_root = e.out() / "models";
  options.spec_dir = e.out() / "jobs";
  options.parallel = jobs;
  options.threads_per_job = std::max<int64_t>(1, threads / jobs);
  log(fmt::format("experiment '{}': {} rows x {} runs x {} models -> {} model jobs ({} epochs), {} attack jobs; "
                  "{} parallel jobs x {} threads",
                  e.name(), e.rows.size(), e.runs(), e.models(), plan.jobs.size(), plan.total_epochs(), plan.attacks.size(),
                  jobs, options.threads_per_job));

  // Progress: epochs done (finished jobs + the running ones' progress) over the plan's total.
  RunSummary summary;
  const int64_t total_epochs = std::max<int64_t>(1, plan.total_epochs());
  std::vector<double> progress(plan.jobs.size(), 0.0);  // epochs done per job
  std::map<int, std::string> running;                   // job -> status text
  int64_t finished = 0;
  double reused_epochs = 0.0;
  auto status = [&] {
    if (!callbacks.status) return;
    double done = 0;
    for (double p : progress) done += p;
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    const double worked = done - reused_epochs;
    const double left = worked > 0 ? elapsed / worked * (total_epochs - done) : std::nan("");
    std::string current = running.empty() ? "" : running.begin()->second;
    if (running.size() > 1) current += fmt::format(" (+{} more)", running.size() - 1);
    callbacks.status(done / total_epochs, fmt::format("[{}/{} jobs] {} | {} elapsed, ~{} left", finished, plan.jobs.size(),
                                                      current, format_duration(elapsed), format_duration(left)));
  };
  SchedulerCallbacks scheduler_callbacks;
  scheduler_callbacks.on_start = [&](int j) {
    running[j] = plan.jobs[j].label;
    status();
  };
  scheduler_callbacks.on_event = [&](int j, const nlohmann::json& event) {
    const std::string kind = event.value("event", "");
    if (kind == "progress") {
      const double epochs = event.value("epochs", 1);
      progress[j] = std::min<double>(plan.jobs[j].epochs, event.value("epoch", 0) +
                                                              static_cast<double>(event.value("batch", 0)) /
                                                                  std::max<int64_t>(1, event.value("batches", 1)));
      running[j] = fmt::format("{}: epoch {}/{}", plan.jobs[j].label, event.value("epoch", 0) + 1, epochs);
      status();
    }
  };
  scheduler_callbacks.on_done = [&](int j, const ModelResult& r) {
    running.erase(j);
    ++finished;
    progress[j] = static_cast<double>(plan.jobs[j].epochs);
    if (r.reused) {
      reused_epochs += progress[j];
      ++summary.reused;
    } else {
      ++summary.trained;
      log(fmt::format("done: {} -> test acc {:.4f} ({})", plan.jobs[j].label, r.metrics.value("test_acc", std::nan("")),
                      format_duration(r.seconds)));
    }
    status();
  };
  const std::vector<ModelResult> models = run_model_jobs(plan, options, scheduler_callbacks);

  // Attacks, row by row and run by run.
  std::vector<RowRun> results;
  for (size_t a = 0; a < plan.attacks.size(); ++a) {
    const AttackJob& job = plan.attacks[a];
    if (callbacks.status)
      callbacks.status(static_cast<double>(a) / static_cast<double>(plan.attacks.size()),
                       fmt::format("[attack {}/{}] {} · run {}", a + 1, plan.attacks.size(), e.rows[job.row].name, job.run));
    bool ran = false;
    const auto t0 = Clock::now();
    results.push_back(attack_row(e, job, models, e.out() / "attacks", threads, ran, callbacks));
    if (ran) {
      ++summary.attacked;
      log(fmt::format("attacked: {} · run {} ({})", e.rows[job.row].name, job.run,
                      format_duration(std::chrono::duration<double>(Clock::now() - t0).count())));
    }
  }
  summary.report_dir = e.out() / "report";
  summary.markdown = write_report(e, results, summary.report_dir);
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  write_file_atomic(summary.report_dir / "timing.json",
                    nlohmann::json{{"seconds", summary.seconds},
                                   {"models_trained", summary.trained},
                                   {"models_reused", summary.reused},
                                   {"attacks_run", summary.attacked}}
                            .dump(2) +
                        "\n");
  return summary;
}

}  // namespace cwrf::experiment
