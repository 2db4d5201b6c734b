#include "cwrf/experiment/slurm.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/process.h"
#include "cwrf/experiment/slurm_state.h"
#include "cwrf/experiment/task.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace cwrf::experiment {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string first_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t.substr(0, t.find('\n'));
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// Slurm's --output/--error take patterns: a literal % is %%.
std::string slurm_pattern_escape(const std::string& path) {
  std::string out;
  for (char c : path) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

std::string expand_job_id(const fs::path& pattern, const std::string& id) {
  std::string s = pattern.string(), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 1 < s.size()) {
      if (s[i + 1] == 'j') out += id;
      else out += s[i + 1];
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A job name Slurm and shells take as one word: the experiment and the job's label.
std::string job_name(const std::string& experiment, const std::string& label) {
  std::string out;
  for (char c : experiment + "-" + label) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
    if (keep) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 100) out.resize(100);
  return out.empty() ? "cwrf" : out;
}

// "101-103,107" for the ids of a submission burst.
std::string id_list(std::vector<std::string> ids) {
  std::vector<long long> numbers;
  for (const auto& id : ids) {
    try {
      numbers.push_back(std::stoll(id));
    } catch (const std::exception&) {
      return fmt::format("{}", fmt::join(ids, ","));
    }
  }
  std::sort(numbers.begin(), numbers.end());
  std::string out;
  for (size_t i = 0; i < numbers.size();) {
    size_t k = i;
    while (k + 1 < numbers.size() && numbers[k + 1] == numbers[k] + 1) ++k;
    out += (out.empty() ? "" : ",") + (k > i ? fmt::format("{}-{}", numbers[i], numbers[k]) : std::to_string(numbers[i]));
    i = k + 1;
  }
  return out;
}

// The line of a failed job's stderr that says why: its last "error" line, else its last line.
std::string error_line(const fs::path& log) {
  std::ifstream in(log);
  if (!in) return "";
  std::string line, last, last_error;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    last = line;
    if (line.find("error") != std::string::npos || line.find("CANCELLED") != std::string::npos) last_error = line;
  }
  std::string why = last_error.empty() ? last : last_error;
  if (why.size() > 400) why = why.substr(0, 400) + "...";
  return why;
}

struct JobFiles {
  fs::path spec, result;
};

JobFiles job_files(const fs::path& root, const std::string& key) {
  return {root / "specs" / (key + ".json"), root / "results" / (key + ".json")};
}

// A finished job: its result file, whole (written atomically), and the directory it names.
std::optional<JobResult> read_result(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(file));
    JobResult r;
    r.dir = j.at("dir").get<std::string>();
    r.reused = j.at("reused").get<bool>();
    r.result = j.at("result");
    r.seconds = j.value("seconds", 0.0);
    r.done = true;
    if (!fs::exists(r.dir, ec)) return std::nullopt;  // removed since: the job is redone
    return r;
  } catch (const std::exception&) {
    return std::nullopt;  // not a result of ours: the job is redone
  }
}

void scancel(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> argv = {"scancel"};
  argv.insert(argv.end(), ids.begin(), ids.end());
  run_process(argv);  // best effort: a job that has ended meanwhile needs nothing
}

// A running job's new stdout lines (the job's JSON events).
struct LogTail {
  std::uintmax_t offset = 0;
  std::string partial;
  std::vector<nlohmann::json> read(const fs::path& file) {
    std::vector<nlohmann::json> events;
    std::ifstream in(file, std::ios::binary);
    if (!in) return events;
    in.seekg(static_cast<std::streamoff>(offset));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset += chunk.size();
    partial += chunk;
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      const std::string line = partial.substr(0, nl);
      partial.erase(0, nl + 1);
      try {
        events.push_back(nlohmann::json::parse(line));
      } catch (const nlohmann::json::exception&) {  // not an event line
      }
    }
    return events;
  }
};

}  // namespace

SlurmSettings slurm_settings(const config::Config& c, const std::string& device) {
  SlurmSettings s;
  s.partition = c.get_string("executor.partition");
  s.account = c.get_string("executor.account");
  s.time = c.get_string("executor.time");
  s.memory = c.get_string("executor.memory");
  s.cpus = c.get_int("executor.cpus");
  s.gpus = c.get_int("executor.gpus");
  if (s.gpus == 0 && device != "cpu") s.gpus = 1;  // cuda or cuda:N
  s.sbatch_args = c.get_strings("executor.sbatch_args");
  s.poll_seconds = c.get_float("executor.poll_seconds");
  s.sacct = split_words(c.get_string("executor.sacct"));
  s.wait = c.get_bool("executor.wait");
  return s;
}

std::vector<std::string> sbatch_command(const SlurmOptions& o, const Submission& sub) {
  const SlurmSettings& s = o.settings;
  std::vector<std::string> argv = {"sbatch",
                                   "--parsable",
                                   "--job-name=" + sub.job_name,
                                   "--chdir=" + o.workdir.string(),
                                   "--output=" + sub.out_log.string(),
                                   "--error=" + sub.err_log.string(),
                                   "--ntasks=1",
                                   fmt::format("--cpus-per-task={}", s.cpus)};
  if (!s.partition.empty()) argv.push_back("--partition=" + s.partition);
  if (!s.account.empty()) argv.push_back("--account=" + s.account);
  if (!s.time.empty()) argv.push_back("--time=" + s.time);
  if (s.gpus > 0) argv.push_back(fmt::format("--gres=gpu:{}", s.gpus));
  if (!s.memory.empty()) argv.push_back("--mem=" + s.memory);
  if (!sub.after.empty()) {
    argv.push_back(fmt::format("--dependency=afterok:{}", fmt::join(sub.after, ":")));
    argv.push_back("--kill-on-invalid-dep=yes");
  }
  argv.insert(argv.end(), s.sbatch_args.begin(), s.sbatch_args.end());
  const std::string threads = std::to_string(s.cpus);
  argv.push_back("--wrap=exec " + shell_join({"env", "OMP_NUM_THREADS=" + threads, "OPENBLAS_NUM_THREADS=" + threads,
                                              o.executable.string(), "job", "--spec", sub.spec.string(), "--result",
                                              sub.result.string()}));
  return argv;
}

std::string parse_sbatch_id(const std::string& output) {
  const std::string line = first_line(output);
  const std::string id = line.substr(0, line.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw Error(fmt::format("sbatch printed no job id (got '{}')", line));
  return id;
}

bool is_active_slurm_state(const std::string& state) {
  static const std::set<std::string> ended = {"COMPLETED", "FAILED",   "CANCELLED",     "TIMEOUT",
                                              "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",    "DEADLINE",
                                              "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT"};
  return !state.empty() && ended.count(state) == 0;
}

std::optional<SlurmJobStatus> parse_scontrol_job(const std::string& text) {
  static const std::regex state(R"((?:^|\s)JobState=(\S+))"), reason(R"((?:^|\s)Reason=(\S+))"),
      exit_code(R"((?:^|\s)ExitCode=(\S+))");
  std::smatch m;
  if (!std::regex_search(text, m, state)) return std::nullopt;
  SlurmJobStatus s;
  s.state = m[1];
  if (std::regex_search(text, m, reason)) s.reason = m[1];
  if (std::regex_search(text, m, exit_code)) s.exit_code = m[1];
  s.phase = is_active_slurm_state(s.state) ? SlurmJobStatus::Phase::Active : SlurmJobStatus::Phase::Ended;
  s.detail = "scontrol";
  return s;
}

std::optional<SlurmJobStatus> parse_sacct_job(const std::string& text, const std::string& id) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '|');) fields.push_back(f);
    if (fields.size() < 2 || fields[0] != id) continue;
    SlurmJobStatus s;
    const auto words = split_words(fields[1]);  // "CANCELLED by 0"
    s.state = words.empty() ? "" : words.front();
    if (s.state.empty()) continue;
    if (fields.size() > 2) s.exit_code = fields[2];
    s.phase = is_active_slurm_state(s.state) ? SlurmJobStatus::Phase::Active : SlurmJobStatus::Phase::Ended;
    s.detail = "sacct";
    return s;
  }
  return std::nullopt;
}

std::map<std::string, SlurmJobStatus> parse_squeue_jobs(const std::string& text) {
  std::map<std::string, SlurmJobStatus> jobs;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '|');) fields.push_back(f);
    if (fields.size() < 2) continue;
    SlurmJobStatus s;
    const auto id = split_words(fields[0]), state = split_words(fields[1]);
    if (id.empty() || state.empty()) continue;
    s.state = state.front();
    if (fields.size() > 2) s.reason = first_line(fields[2]);
    s.phase = is_active_slurm_state(s.state) ? SlurmJobStatus::Phase::Active : SlurmJobStatus::Phase::Ended;
    s.detail = "squeue";
    jobs[id.front()] = s;
  }
  return jobs;
}

std::map<std::string, SlurmJobStatus> query_slurm_jobs(const SlurmSettings& settings,
                                                       const std::vector<std::string>& ids) {
  std::map<std::string, SlurmJobStatus> known;
  constexpr size_t kChunk = 200;  // ids per command line
  for (size_t from = 0; from < ids.size(); from += kChunk) {
    const std::vector<std::string> chunk(ids.begin() + from, ids.begin() + std::min(ids.size(), from + kChunk));
    const std::string list = fmt::format("{}", fmt::join(chunk, ","));
    // -t all: finished jobs too, while the controller remembers them (MinJobAge).
    const ProcessResult queued = run_process({"squeue", "-h", "-t", "all", "-j", list, "-o", "%i|%T|%r"});
    if (queued.ok()) {
      for (auto& [id, s] : parse_squeue_jobs(queued.out))
        if (std::find(chunk.begin(), chunk.end(), id) != chunk.end()) known[id] = s;
    } else if (first_line(queued.err + queued.out).find("Invalid job id") == std::string::npos) {
      // The controller did not answer (squeue says "Invalid job id" only when it knows none of them).
      for (const std::string& id : chunk) {
        SlurmJobStatus s;
        s.transient = true;
        s.detail = "squeue: " + first_line(queued.err.empty() ? queued.out : queued.err);
        known[id] = s;
      }
      continue;
    }
    // How the controller's finished, unsuccessful jobs ended (squeue has no exit code in CODE:SIGNAL form).
    for (const std::string& id : chunk) {
      const auto it = known.find(id);
      if (it == known.end() || it->second.phase != SlurmJobStatus::Phase::Ended || it->second.state == "COMPLETED")
        continue;
      const ProcessResult shown = run_process({"scontrol", "show", "job", "-o", id});
      if (shown.ok())
        if (auto s = parse_scontrol_job(shown.out)) it->second.exit_code = s->exit_code;
    }
    // The controller has forgotten the others (MinJobAge after their end): how did they end?
    std::vector<std::string> forgotten;
    for (const std::string& id : chunk)
      if (!known.count(id)) forgotten.push_back(id);
    if (forgotten.empty()) continue;
    std::vector<std::string> argv = settings.sacct;
    argv.push_back("-j");
    argv.push_back(fmt::format("{}", fmt::join(forgotten, ",")));
    for (const char* a : {"-n", "-X", "-P", "-o", "JobID,State,ExitCode"}) argv.push_back(a);
    const ProcessResult acct = run_process(argv);
    for (const std::string& id : forgotten) {
      if (acct.ok()) {
        if (auto st = parse_sacct_job(acct.out, id)) {
          known[id] = *st;
          continue;
        }
      }
      SlurmJobStatus s;  // Unknown: not queued, not running
      s.detail = acct.ok() ? fmt::format("neither squeue nor `{}` knows it", shell_join(settings.sacct))
                           : fmt::format("`{}` failed: {}", shell_join(settings.sacct), first_line(acct.err + acct.out));
      known[id] = s;
    }
  }
  return known;
}

SlurmJobStatus query_slurm_job(const SlurmSettings& settings, const std::string& id) {
  return query_slurm_jobs(settings, {id}).at(id);
}

SlurmExecutor::SlurmExecutor(SlurmOptions options) : options_(std::move(options)) {}

std::string SlurmExecutor::describe() const {
  const SlurmSettings& s = options_.settings;
  std::string where = s.partition.empty() ? "the default partition" : "partition " + s.partition;
  if (!s.account.empty()) where += ", account " + s.account;
  return fmt::format("Slurm jobs on {}, {} CPU{}{}{} each (state in {})", where, s.cpus, s.cpus == 1 ? "" : "s",
                     s.gpus > 0 ? fmt::format(", {} GPU{}", s.gpus, s.gpus == 1 ? "" : "s") : "",
                     s.time.empty() ? "" : ", time limit " + s.time, options_.root.string());
}

RoundOutcome SlurmExecutor::run(const Plan& plan, std::vector<JobResult>& results,
                                const std::function<nlohmann::json(int)>& spec, const SchedulerCallbacks& callbacks) {
  const SlurmSettings& settings = options_.settings;
  const fs::path& root = options_.root;
  const size_t n = plan.jobs.size();
  results.resize(n);
  auto log = [&](const std::string& line) {
    if (callbacks.log) callbacks.log(line);
  };
  auto done = [&](int j, const JobResult& r) {
    results[j] = r;
    if (callbacks.on_done) callbacks.on_done(j, results[j]);
  };

  std::vector<std::string> keys(n), ids(n);
  std::vector<bool> outstanding(n, false), submitted(n, false);
  std::vector<std::string> new_ids, old_ids;
  SlurmState state;
  {
    // 1. What is done, what is still in Slurm's hands, what to submit.
    std::unique_ptr<SlurmStateLock> lock;
    std::vector<size_t> todo;
    for (size_t j = 0; j < n; ++j) {
      if (results[j].done) continue;
      keys[j] = slurm_job_key(plan.jobs[j].identity);
      if (auto r = read_result(job_files(root, keys[j]).result)) {
        r->reused = true;  // finished before this run looked
        done(static_cast<int>(j), *r);
        continue;
      }
      todo.push_back(j);
    }
    std::map<std::string, SlurmJobStatus> known;  // what Slurm says about the recorded submissions
    if (!todo.empty()) {
      lock = std::make_unique<SlurmStateLock>(root);
      state = read_slurm_state(root);
      std::vector<std::string> recorded;
      for (size_t j : todo) {
        const auto it = state.jobs.find(keys[j]);
        if (it != state.jobs.end() && !it->second.slurm_id.empty()) recorded.push_back(it->second.slurm_id);
      }
      known = query_slurm_jobs(settings, recorded);
    }
    for (size_t j : todo) {
      const PlannedJob& job = plan.jobs[j];
      const JobFiles files = job_files(root, keys[j]);
      // Again, after asking Slurm: a task that ended meanwhile has written its result (before it ended).
      if (auto r = read_result(files.result)) {
        r->reused = true;
        done(static_cast<int>(j), *r);
        continue;
      }
      bool submit = true;
      const auto it = state.jobs.find(keys[j]);
      if (it != state.jobs.end() && !it->second.slurm_id.empty()) {
        const std::string& id = it->second.slurm_id;
        const SlurmJobStatus& st = known.at(id);
        if (st.transient)
          throw Error(fmt::format("cannot ask Slurm about job '{}' (Slurm job {}): {}; try again later", job.label, id,
                                  st.detail));
        const bool alive = st.phase == SlurmJobStatus::Phase::Active && st.reason != "DependencyNeverSatisfied";
        bool input_resubmitted = false;
        for (int i : job.inputs) input_resubmitted = input_resubmitted || submitted[i];
        // Still queued or running, on inputs that stay: wait for it.
        submit = !alive || input_resubmitted;
        if (submit && st.phase == SlurmJobStatus::Phase::Active) scancel({id});
        if (!submit) {
          ids[j] = id;
          outstanding[j] = true;
          old_ids.push_back(id);
          continue;
        }
      }
      // Submit it: after its inputs that are not done, its spec naming them by placeholder.
      Submission sub;
      std::vector<std::string> after_keys;
      std::vector<std::pair<int, fs::path>> saved;
      for (int i : job.inputs) {
        if (results[i].done) continue;
        sub.after.push_back(ids[i]);
        after_keys.push_back(keys[i]);
        saved.emplace_back(i, results[i].dir);
        results[i].dir = input_placeholder(job_files(root, keys[i]).result);
      }
      nlohmann::json job_spec;
      try {
        job_spec = spec(static_cast<int>(j));
      } catch (...) {
        for (const auto& [i, dir] : saved) results[i].dir = dir;
        throw;
      }
      for (const auto& [i, dir] : saved) results[i].dir = dir;
      job_spec["threads"] = settings.cpus;
      write_file_atomic(files.spec, job_spec.dump(2) + "\n");
      std::error_code ec;
      fs::remove(files.result, ec);  // a stale result (its directory is gone) is not the new one's
      fs::create_directories(root / "logs", ec);  // Slurm does not create the logs' folder
      sub.job_name = job_name(options_.name, job.label);
      sub.spec = files.spec;
      sub.result = files.result;
      const std::string log_stem = slurm_pattern_escape((root / "logs" / keys[j]).string());
      sub.out_log = log_stem + "-%j.out";
      sub.err_log = log_stem + "-%j.err";
      const ProcessResult pr = run_process(sbatch_command(options_, sub));
      if (!pr.ok())
        throw Error(fmt::format("sbatch failed for job '{}' (exit status {}): {}", job.label, pr.status,
                                first_line(pr.err.empty() ? pr.out : pr.err)));
      const std::string id = parse_sbatch_id(pr.out);
      SlurmRecord& record = state.jobs[keys[j]];
      record.label = job.label;
      record.kind = job.kind;
      record.slurm_id = id;
      record.spec = files.spec;
      record.result = files.result;
      record.out_log = expand_job_id(sub.out_log, id);
      record.err_log = expand_job_id(sub.err_log, id);
      record.after = after_keys;
      record.submissions += 1;
      record.submitted = now_utc();
      write_slurm_state(root, state);  // after every submission: an interrupted run forgets none
      ids[j] = id;
      submitted[j] = true;
      outstanding[j] = true;
      new_ids.push_back(id);
    }
  }
  const size_t left = static_cast<size_t>(std::count(outstanding.begin(), outstanding.end(), true));
  if (!new_ids.empty())
    log(fmt::format("submitted {} job{} to Slurm (job id{} {}){}", new_ids.size(), new_ids.size() == 1 ? "" : "s",
                    new_ids.size() == 1 ? "" : "s", id_list(new_ids),
                    old_ids.empty() ? "" : fmt::format("; waiting also for {} queued before ({})", old_ids.size(),
                                                       id_list(old_ids))));
  else if (!old_ids.empty())
    log(fmt::format("nothing to submit; {} job{} queued before still to finish ({})", old_ids.size(),
                    old_ids.size() == 1 ? "" : "s", id_list(old_ids)));
  if (left == 0) return {};
  if (!settings.wait) {
    RoundOutcome outcome;
    outcome.complete = false;
    outcome.pending = fmt::format(
        "{} of {} jobs not finished yet: {} submitted now{}, {} queued or running from before{}. State: {}",
        left, n, new_ids.size(), new_ids.empty() ? "" : " (Slurm job ids " + id_list(new_ids) + ")", old_ids.size(),
        old_ids.empty() ? "" : " (" + id_list(old_ids) + ")", (root / "state.json").string());
    return outcome;
  }

  // 3. Wait: every outstanding job ends done, failed, or blocked behind a failure.
  enum class Fate { Waiting, Done, Failed, Blocked };
  std::vector<Fate> fate(n, Fate::Done);
  for (size_t j = 0; j < n; ++j)
    if (outstanding[j]) fate[j] = Fate::Waiting;
  std::vector<bool> started(n, false);
  std::vector<LogTail> tails(n);
  std::vector<std::optional<Clock::time_point>> ended_without_result(n);
  std::vector<std::string> failures, blocked;
  auto record_of = [&](size_t j) -> const SlurmRecord* {
    const auto it = state.jobs.find(keys[j]);
    return it == state.jobs.end() ? nullptr : &it->second;
  };
  auto log_path = [&](size_t j) {
    const SlurmRecord* r = record_of(j);
    return r ? r->err_log.string() : std::string("(unknown)");
  };
  auto out_path = [&](size_t j) {
    const SlurmRecord* r = record_of(j);
    return r ? r->out_log : fs::path();
  };
  auto feed_events = [&](size_t j) {
    if (!callbacks.on_event) return;
    for (const nlohmann::json& event : tails[j].read(out_path(j)))
      if (event.is_object() && event.value("event", "") != "done") callbacks.on_event(static_cast<int>(j), event);
  };
  while (true) {
    // One question for the whole queue, asked before the result files are read: a job that Slurm
    // says has ended wrote its result (if any) before it ended.
    std::vector<std::string> asked;
    for (size_t j = 0; j < n; ++j)
      if (fate[j] == Fate::Waiting) asked.push_back(ids[j]);
    const std::map<std::string, SlurmJobStatus> queue = query_slurm_jobs(settings, asked);
    std::vector<std::string> to_cancel;
    int64_t running = 0, queued = 0;
    for (size_t j = 0; j < n; ++j) {
      if (fate[j] != Fate::Waiting) continue;
      const PlannedJob& job = plan.jobs[j];
      if (auto r = read_result(job_files(root, keys[j]).result)) {
        fate[j] = Fate::Done;
        done(static_cast<int>(j), *r);
        continue;
      }
      bool inputs_done = true, input_lost = false;
      for (int i : job.inputs) {
        inputs_done = inputs_done && results[i].done;
        input_lost = input_lost || fate[i] == Fate::Failed || fate[i] == Fate::Blocked;
      }
      if (input_lost) {
        fate[j] = Fate::Blocked;
        blocked.push_back(fmt::format("'{}' (Slurm job {})", job.label, ids[j]));
        to_cancel.push_back(ids[j]);  // Slurm cancels it too (--kill-on-invalid-dep)
        continue;
      }
      const SlurmJobStatus& st = queue.at(ids[j]);
      if (st.transient) {
        ++queued;  // Slurm did not answer: as it was
        continue;
      }
      std::string why;
      if (st.phase == SlurmJobStatus::Phase::Active) {
        if (st.reason == "DependencyNeverSatisfied") {
          why = fmt::format("Slurm will not start it (a job it depended on did not end COMPLETED, Reason={})",
                            st.reason);
          to_cancel.push_back(ids[j]);
        } else {
          if (st.state == "RUNNING" || st.state == "COMPLETING") {
            ++running;
            if (!started[j]) {
              started[j] = true;
              if (callbacks.on_start) callbacks.on_start(static_cast<int>(j));
            }
          } else {
            ++queued;
          }
          if (started[j]) feed_events(j);
          continue;
        }
      } else if (st.phase == SlurmJobStatus::Phase::Ended && st.state != "COMPLETED") {
        why = fmt::format("{}{}", st.state, st.exit_code.empty() ? "" : " (exit code " + st.exit_code + ")");
      } else if (!inputs_done) {
        ++queued;  // behind its inputs, whatever Slurm says for now
        continue;
      } else {
        // COMPLETED, or forgotten by Slurm, without a result file: give the filesystem time to show it.
        if (!ended_without_result[j]) ended_without_result[j] = Clock::now();
        if (std::chrono::duration<double>(Clock::now() - *ended_without_result[j]).count() < settings.result_grace_seconds)
          continue;
        why = st.phase == SlurmJobStatus::Phase::Ended
                  ? fmt::format("{} without writing its result file {}", st.state, job_files(root, keys[j]).result.string())
                  : fmt::format("ended without a result file ({})", st.detail);
      }
      fate[j] = Fate::Failed;
      const std::string line = error_line(log_path(j));
      const std::string failure = fmt::format("job '{}' failed: Slurm job {} {}; log {}{}", job.label, ids[j], why,
                                              log_path(j), line.empty() ? "" : ": " + line);
      log(failure);
      failures.push_back(failure);
    }
    scancel(to_cancel);
    if (callbacks.on_queue) {
      const auto finished = std::count_if(results.begin(), results.end(), [](const JobResult& r) { return r.done; });
      callbacks.on_queue(fmt::format("Slurm: {}/{} done, {} running, {} queued{}", finished, n, running, queued,
                                     failures.empty() ? "" : fmt::format(", {} failed", failures.size())));
    }
    if (std::none_of(fate.begin(), fate.end(), [](Fate f) { return f == Fate::Waiting; })) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(settings.poll_seconds));
  }
  if (!failures.empty()) {
    std::string message = fmt::format("{}", fmt::join(failures, "\n"));
    if (!blocked.empty())
      message += fmt::format("\nnot run, because a job they need failed: {}", fmt::join(blocked, ", "));
    message += "\nrun the same command again to resubmit the failed jobs and their dependents (finished ones are kept)";
    throw Error(message);
  }
  return {};
}

}  // namespace cwrf::experiment
