#include "cwrf/experiment/scheduler.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/threads.h"
#include "cwrf/experiment/child_job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cwrf::experiment {

namespace {

// One worker process (`cwrf job --worker`): it runs the jobs written to its stdin in turn.
struct Worker {
  pid_t pid = -1;
  int in_fd = -1, out_fd = -1, err_fd = -1;
  std::string out_buffer, err_text;
  int job = -1;  // the job it runs now; -1: idle
  int64_t slot = 0;  // its index among the workers: which GPU it uses (SchedulerOptions::gpus)
  std::chrono::steady_clock::time_point job_started;
};

Worker spawn(const std::filesystem::path& exe, int64_t threads) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(fmt::format("cannot create a pipe for a job: {}", std::strerror(errno)));
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed (other threads may hold the allocator's locks).
  const std::string exe_s = exe.string();
  // Every thread pool of the worker is its share from the moment its libraries load (threads.h).
  const std::vector<std::string> environment = job_environment(threads);
  std::vector<char*> envp;
  for (const std::string& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* args[] = {exe_s.c_str(), "job", "--worker", nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(fmt::format("cannot start a job process: {}", std::strerror(errno)));
  if (pid == 0) {
    // The child: die with the runner, read specs from one pipe, report on the others.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::execve(exe_s.c_str(), const_cast<char* const*>(args), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Worker w;
  w.pid = pid;
  w.in_fd = in_pipe[1];
  w.out_fd = out_pipe[0];
  w.err_fd = err_pipe[0];
  return w;
}

// Reads what is available; returns false at end of file.
bool drain(int fd, std::string& into) {
  char buffer[8192];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    into.append(buffer, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string slot_device(int64_t slot, const std::vector<int64_t>& gpus) {
  if (gpus.empty()) return "";
  if (slot < 0) throw std::logic_error("slot_device: negative slot");
  return fmt::format("cuda:{}", gpus[static_cast<size_t>(slot) % gpus.size()]);
}

std::filesystem::path current_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the cwrf executable (/proc/self/exe)");
  return p;
}

void run_jobs(const Plan& plan, std::vector<JobResult>& results, const std::function<nlohmann::json(int)>& spec,
              const SchedulerOptions& options, const SchedulerCallbacks& callbacks) {
  const size_t n = plan.jobs.size();
  results.resize(n);
  std::vector<bool> started(n, false);
  for (size_t j = 0; j < n; ++j) started[j] = results[j].done;
  std::vector<Worker> workers;
  std::string failure;
  std::filesystem::create_directories(options.spec_dir);
  const std::filesystem::path exe = options.executable.empty() ? current_executable() : options.executable;
  // A worker that stops writing is gone; its pipe must not kill the runner with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);

  auto ready = [&](size_t j) {
    if (started[j]) return false;
    for (int input : plan.jobs[j].inputs)
      if (!results[input].done) return false;
    return true;
  };
  auto next_ready = [&]() -> int {
    for (size_t j = 0; j < n; ++j)
      if (ready(j)) return static_cast<int>(j);
    return -1;
  };
  auto fail = [&](int j, const std::string& why) {
    if (failure.empty()) failure = fmt::format("job '{}' failed: {}", plan.jobs[j].label, why);
  };
  auto assign = [&](Worker& w, int j) {
    nlohmann::json job_spec = spec(j);
    job_spec["threads"] = options.threads_per_job;
    if (const std::string device = slot_device(w.slot, options.gpus); !device.empty()) job_spec["device"] = device;
    const auto spec_path = options.spec_dir / fmt::format("job-{}.json", j);
    write_file_atomic(spec_path, job_spec.dump(2));
    started[j] = true;
    w.job = j;
    w.job_started = std::chrono::steady_clock::now();
    if (!write_all(w.in_fd, spec_path.string() + "\n")) fail(j, "its worker process is gone");
    if (callbacks.on_start) callbacks.on_start(j);
  };
  auto launch_more = [&] {
    if (!failure.empty()) return;
    for (Worker& w : workers)
      if (w.job < 0 && w.in_fd >= 0) {
        const int j = next_ready();
        if (j < 0) return;
        assign(w, j);
      }
    while (static_cast<int64_t>(workers.size()) < options.parallel) {
      const int j = next_ready();
      if (j < 0) return;
      workers.push_back(spawn(exe, options.threads_per_job));
      workers.back().slot = static_cast<int64_t>(workers.size()) - 1;
      assign(workers.back(), j);
    }
  };
  auto busy = [&] {
    return std::any_of(workers.begin(), workers.end(), [](const Worker& w) { return w.job >= 0; });
  };

  launch_more();
  while (busy()) {
    std::vector<pollfd> fds;
    for (const auto& w : workers) {
      fds.push_back({w.out_fd, static_cast<short>(w.out_fd >= 0 ? POLLIN : 0), 0});
      fds.push_back({w.err_fd, static_cast<short>(w.err_fd >= 0 ? POLLIN : 0), 0});
    }
    if (::poll(fds.data(), fds.size(), 500) < 0 && errno != EINTR)
      throw Error(fmt::format("waiting for jobs failed: {}", std::strerror(errno)));
    for (size_t i = 0; i < workers.size(); ++i) {
      Worker& w = workers[i];
      if (w.out_fd >= 0 && (fds[2 * i].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (!drain(w.out_fd, w.out_buffer)) {
          ::close(w.out_fd);
          w.out_fd = -1;
        }
        size_t nl;
        while ((nl = w.out_buffer.find('\n')) != std::string::npos) {
          const std::string line = w.out_buffer.substr(0, nl);
          w.out_buffer.erase(0, nl + 1);
          nlohmann::json event;
          try {
            event = nlohmann::json::parse(line);
          } catch (const nlohmann::json::exception&) {
            continue;  // not a protocol line (a library's chatter): ignore
          }
          if (w.job < 0) continue;
          const int j = w.job;
          const std::string kind = event.value("event", "");
          if (kind == "done") {
            JobResult& r = results[j];
            r.dir = event.at("dir").get<std::string>();
            r.reused = event.at("reused").get<bool>();
            r.result = event.at("result");
            r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - w.job_started).count();
            r.done = true;
            w.job = -1;
            if (callbacks.on_event) callbacks.on_event(j, event);
            if (callbacks.on_done) callbacks.on_done(j, r);
          } else if (kind == "failed") {
            w.job = -1;
            fail(j, event.value("error", "unknown error"));
          } else if (callbacks.on_event) {
            callbacks.on_event(j, event);
          }
        }
      }
      if (w.err_fd >= 0 && (fds[2 * i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (!drain(w.err_fd, w.err_text)) {
          ::close(w.err_fd);
          w.err_fd = -1;
        }
      }
      // A worker whose output ended has exited: reap it, and fail the job it had.
      if (w.out_fd < 0 && w.pid > 0) {
        int status = 0;
        while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
        }
        w.pid = -1;
        if (w.in_fd >= 0) ::close(w.in_fd);
        w.in_fd = -1;
        if (w.job >= 0) {
          std::string why = last_line(w.err_text);
          if (why.empty())
            why = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                      : fmt::format("exit status {}", WEXITSTATUS(status));
          fail(w.job, why);
          w.job = -1;
        }
      }
    }
    launch_more();
  }
  // Every job is done (or the run failed): end the workers.
  for (Worker& w : workers) {
    if (w.in_fd >= 0) ::close(w.in_fd);
    w.in_fd = -1;
  }
  for (Worker& w : workers) {
    if (w.out_fd >= 0) ::close(w.out_fd);
    if (w.err_fd >= 0) ::close(w.err_fd);
    if (w.pid > 0) {
      int status = 0;
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  if (!failure.empty()) throw Error(failure);
}

RoundOutcome LocalExecutor::run(const Plan& plan, std::vector<JobResult>& results,
                                const std::function<nlohmann::json(int)>& spec, const SchedulerCallbacks& callbacks) {
  run_jobs(plan, results, spec, options_, callbacks);
  return {};
}

std::string LocalExecutor::describe() const {
  return fmt::format("{} parallel jobs x {} threads", options_.parallel, options_.threads_per_job);
}

}  // namespace cwrf::experiment
