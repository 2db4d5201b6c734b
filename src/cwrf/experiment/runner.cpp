#include "cwrf/experiment/runner.h"

#include "cwrf/common/device.h"
#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"
#include "cwrf/common/progress.h"
#include "cwrf/common/threads.h"
#include "cwrf/experiment/executor.h"
#include "cwrf/experiment/paper_report.h"
#include "cwrf/experiment/report.h"
#include "cwrf/experiment/selection.h"
#include "cwrf/job/job_data.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <map>

namespace cwrf::experiment {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Every pending rate choice taken as its first candidate: a plan of the final size, for progress.
RateChoices provisional_choices(const Experiment& e, const RateChoices& chosen) {
  RateChoices all = chosen;
  for (size_t r = 0; r < e.rows.size(); ++r)
    if (e.rows[r].rates.size() > 1)
      for (int64_t run = 0; run < e.runs(); ++run) all.emplace(std::make_pair(r, run), e.rows[r].rates.front());
  return all;
}

// A round the executor left incomplete: no report, what is outstanding instead.
RunSummary incomplete_summary(RunSummary summary, const RoundOutcome& round, Clock::time_point started) {
  summary.complete = false;
  summary.pending = round.pending;
  summary.seconds = seconds_since(started);
  return summary;
}

}  // namespace

int64_t parallel_jobs(int64_t requested, bool cuda, size_t gpus, int64_t threads) {
  // Independent CPU jobs run faster side by side, one thread each (docs/DESIGN.md); a GPU runs
  // one job at a time unless asked for more (small models leave most of it idle).
  if (!cuda) return requested > 0 ? requested : std::max<int64_t>(1, threads);
  return std::max<int64_t>(1, requested) * std::max<int64_t>(1, static_cast<int64_t>(gpus));
}

nlohmann::json job_spec(const Experiment& e, const Plan& plan, int j, const std::vector<JobResult>& results) {
  const PlannedJob& job = plan.jobs[j];
  if (job.kind == "train") return {{"kind", "train"}, {"config", job.config}, {"out", (e.out() / "models").string()}};
  if (job.kind == "cwrf")
    return {{"kind", "cwrf"},
            {"config", job.config},
            {"parent", results.at(job.inputs.at(0)).dir.string()},
            {"out", (e.out() / "models").string()}};
  if (job.kind == "attack") {
    nlohmann::json models = nlohmann::json::array();
    for (int input : job.inputs) models.push_back(results.at(input).dir.string());
    return {{"kind", "attack"},
            {"settings", job.config},
            {"models", models},
            {"out", (e.out() / "attacks" / job.out).string()},
            {"device", e.base.get_string("device")},
            {"extra", {{"row", e.rows.at(job.row).name}, {"run", job.run}}}};
  }
  if (job.kind == "analysis") {
    nlohmann::json spec = job.config;
    nlohmann::json models = nlohmann::json::array();
    for (int input : job.inputs) models.push_back(results.at(input).dir.string());
    spec["kind"] = "analysis";
    spec["models"] = models;
    spec["out"] = (e.out() / "analyses" / job.out).string();
    spec["key"] = Hasher().update(job.identity).digest();
    return spec;
  }
  throw Error("job_spec: unknown job kind '" + job.kind + "'");
}

RunSummary run_experiment(const Experiment& e, const RunCallbacks& callbacks, const fs::path& executable) {
  const auto started = Clock::now();
  auto log = [&](const std::string& line) {
    if (callbacks.log) callbacks.log(line);
  };
  const int64_t threads = resolve_threads(e.settings.get_int("experiment.threads"));
  const std::string device = e.base.get_string("device");
  const bool cuda = device != "cpu";
  const bool local = e.executor.get_string("executor.kind") == "local";
  std::vector<int64_t> gpus;
  for (double d : e.settings.get_floats("experiment.devices")) gpus.push_back(static_cast<int64_t>(d));
  if (!gpus.empty()) {
    if (device != "cuda")
      throw Error(fmt::format("{} = [{}] spreads jobs over GPUs: it needs device = \"cuda\", got \"{}\"",
                              e.settings.label("experiment.devices"), fmt::join(gpus, ", "), device));
    if (!local)
      throw Error(fmt::format("{} spreads jobs over this machine's GPUs; with the slurm executor each job asks "
                              "Slurm for its own ({})",
                              e.settings.label("experiment.devices"), e.executor.label("executor.gpus")));
  }
  // Every device is checked before any job: a missing GPU is one clear error, not a failed job. A Slurm
  // job checks on its own node (this one may have no GPU).
  if (local) {
    job::resolve_device(e.base);
    for (int64_t g : gpus)
      parse_device(fmt::format("cuda:{}", g), fmt::format("{} names GPU {}", e.settings.label("experiment.devices"), g));
  }
  const int64_t parallel = parallel_jobs(e.settings.get_int("experiment.jobs"), cuda, gpus.size(), threads);
  SchedulerOptions options;
  options.gpus = gpus;
  options.executable = executable;
  options.spec_dir = e.out() / "jobs";
  options.parallel = parallel;
  options.threads_per_job = std::max<int64_t>(1, threads / parallel);
  const std::unique_ptr<Executor> executor = make_executor(e, options);

  RateChoices chosen;
  std::vector<RateSelection> selections;
  std::map<std::string, JobResult> finished;  // by job identity, across the re-plans
  RunSummary summary;
  const double total_cost = std::max(1e-9, make_plan(e, provisional_choices(e, chosen)).total_cost());
  double done_cost = 0.0, reused_cost = 0.0;
  Plan plan;
  std::vector<JobResult> results;
  for (bool first = true;; first = false) {
    plan = make_plan(e, chosen);
    results.assign(plan.jobs.size(), JobResult{});
    for (size_t j = 0; j < plan.jobs.size(); ++j)
      if (const auto it = finished.find(plan.jobs[j].identity); it != finished.end()) results[j] = it->second;
    if (first) {
      int64_t models = 0;
      for (const auto& job : plan.jobs) models += job.kind == "train" || job.kind == "cwrf";
      log(fmt::format("experiment '{}': {} rows x {} runs x {} models, {} analyses -> {} model jobs, {} attack jobs{}; "
                      "{}{}",
                      e.name(), e.rows.size(), e.runs(), e.models(), e.analyses.size(), models, plan.attacks.size(),
                      chosen.size() < provisional_choices(e, chosen).size() ? " (before choosing r)" : "",
                      executor->describe(),
                      !local ? "" : gpus.empty() ? " on " + device : fmt::format(" on GPUs {} (round-robin)", fmt::join(gpus, ","))));
    }
    // Progress: the work of finished jobs and the running ones' epochs over the whole plan's.
    std::map<int, std::string> running;
    std::map<int, double> partial;
    std::string queue;  // a batch system's counts (Slurm), empty for local jobs
    auto status = [&] {
      if (!callbacks.status) return;
      double now = done_cost;
      for (const auto& [j, p] : partial) now += p;
      const double elapsed = seconds_since(started), worked = now - reused_cost;
      const double left = worked > 0 ? elapsed / worked * (total_cost - now) : std::nan("");
      std::string current = running.empty() ? "" : running.begin()->second;
      if (running.size() > 1) current += fmt::format(" (+{} more)", running.size() - 1);
      if (!queue.empty()) current = current.empty() ? queue : queue + " | " + current;
      callbacks.status(std::min(1.0, now / total_cost),
                       fmt::format("{} | {} elapsed, ~{} left", current, format_duration(elapsed), format_duration(left)));
    };
    SchedulerCallbacks sc;
    sc.on_start = [&](int j) {
      running[j] = plan.jobs[j].label;
      status();
    };
    sc.on_event = [&](int j, const nlohmann::json& event) {
      if (event.value("event", "") != "progress") return;
      const double epoch = event.value("epoch", 0) + static_cast<double>(event.value("batch", 0)) /
                                                           std::max<int64_t>(1, event.value("batches", 1));
      partial[j] = std::min(plan.jobs[j].cost, epoch);
      running[j] = fmt::format("{}: epoch {}/{}", plan.jobs[j].label, event.value("epoch", 0) + 1,
                               event.value("epochs", 0));
      status();
    };
    sc.on_done = [&](int j, const JobResult& r) {
      running.erase(j);
      partial.erase(j);
      done_cost += plan.jobs[j].cost;
      const std::string& kind = plan.jobs[j].kind;
      const bool model = kind == "train" || kind == "cwrf";
      if (r.reused) {
        reused_cost += plan.jobs[j].cost;
        if (model) ++summary.reused;
      } else if (kind == "attack") {
        ++summary.attacked;
        log(fmt::format("attacked: {} ({})", plan.jobs[j].label, format_duration(r.seconds)));
      } else if (kind == "analysis") {
        ++summary.analysed;
        log(fmt::format("analysed: {} ({})", plan.jobs[j].label, format_duration(r.seconds)));
      } else {
        ++summary.trained;
        log(fmt::format("done: {} -> test acc {:.4f} ({})", plan.jobs[j].label, r.result.value("test_acc", std::nan("")),
                        format_duration(r.seconds)));
      }
      status();
    };
    sc.log = log;
    sc.on_queue = [&](const std::string& summary) {
      queue = summary;
      status();
    };
    const RoundOutcome round = executor->run(plan, results, [&](int j) { return job_spec(e, plan, j, results); }, sc);
    if (!round.complete) return incomplete_summary(summary, round, started);
    for (size_t j = 0; j < plan.jobs.size(); ++j) finished[plan.jobs[j].identity] = results[j];

    // The rates that can be chosen now; with a new choice, plan again (its jobs follow).
    std::vector<nlohmann::json> metrics;
    for (const JobResult& r : results) metrics.push_back(r.done ? r.result : nlohmann::json());
    bool new_choice = false;
    for (size_t r = 0; r < e.rows.size(); ++r) {
      if (e.rows[r].rates.size() <= 1) continue;
      for (int64_t run = 0; run < e.runs(); ++run) {
        if (chosen.count({r, run})) continue;
        RateSelection s;
        if (!select_rate(e, plan, metrics, r, run, s)) continue;
        chosen[{r, run}] = s.chosen;
        log(fmt::format("chose r = {:g} for {} · run {} (validation accuracy {:.4f}, reference {:.4f})", s.chosen,
                        e.rows[r].name, run,
                        std::find_if(s.candidates.begin(), s.candidates.end(),
                                     [&](const RateCandidate& c) { return c.rate == s.chosen; })
                            ->val_acc,
                        s.reference_val_acc));
        selections.push_back(std::move(s));
        new_choice = true;
      }
    }
    if (!new_choice) break;
  }

  // Each row and run: its targets' accuracies and its attack's results.
  std::vector<RowRun> rows;
  for (const auto& [key, attack] : plan.attacks) {
    RowRun rr;
    rr.row = key.first;
    rr.run = key.second;
    const std::vector<int>& models = plan.jobs[attack].inputs;
    for (int64_t t = 0; t < e.targets(); ++t)
      rr.target_test_acc.push_back(results[models[t]].result.value("test_acc", std::nan("")));
    rr.attack = results[attack].result;
    rr.attack_dir = results[attack].dir;
    rows.push_back(std::move(rr));
  }
  std::vector<AnalysisOutcome> analyses;
  for (const AnalysisEntry& entry : e.analyses) {
    const int j = plan.analyses.at(entry.name);
    analyses.push_back({entry, results[j].result, results[j].dir});
  }
  summary.report_dir = e.out() / "report";
  std::filesystem::create_directories(summary.report_dir);
  if (!e.rows.empty()) summary.markdown = write_report(e, rows, selections, summary.report_dir);
  if (!analyses.empty()) summary.markdown += "\n" + write_paper_report(e, rows, analyses, summary.report_dir);
  summary.seconds = seconds_since(started);
  // Where the jobs' time went: their own phases, summed (the runner's overhead per job: start-up,
  // data, writing, as against training).
  nlohmann::json phases = nlohmann::json::object();
  double job_seconds = 0.0;
  for (const JobResult& r : results) {
    if (r.reused || !r.done) continue;
    job_seconds += r.seconds;
    if (r.result.contains("timing"))
      for (const auto& [phase, s] : r.result.at("timing").items())
        if (s.is_number()) phases[phase] = phases.value(phase, 0.0) + s.get<double>();
  }
  write_file_atomic(summary.report_dir / "timing.json",
                    nlohmann::json{{"seconds", summary.seconds},
                                   {"models_trained", summary.trained},
                                   {"models_reused", summary.reused},
                                   {"attacks_run", summary.attacked},
                                   {"analyses_run", summary.analysed},
                                   {"parallel_jobs", parallel},
                                   {"device", device},
                                   {"gpus", gpus},
                                   {"threads_per_job", options.threads_per_job},
                                   {"job_seconds", job_seconds},
                                   {"model_job_phases_seconds", phases}}
                            .dump(2) +
                        "\n");
  return summary;
}

}  // namespace cwrf::experiment
