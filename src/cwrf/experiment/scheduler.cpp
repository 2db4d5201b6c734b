#include "cwrf/experiment/scheduler.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/threads.h"
#include "cwrf/experiment/child_job.h"

#include <fmt/format.h>

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

struct Child {
  int job = -1;
  pid_t pid = -1;
  int out_fd = -1, err_fd = -1;
  std::string out_buffer, err_text;
  std::chrono::steady_clock::time_point started;
};

Child spawn(const std::filesystem::path& exe, const std::filesystem::path& spec, int job, int64_t threads) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(fmt::format("cannot create a pipe for a job: {}", std::strerror(errno)));
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed (other threads may hold the allocator's locks).
  const std::string exe_s = exe.string(), spec_s = spec.string();
  // Every thread pool of the child is its share from the moment its libraries load (threads.h).
  const std::vector<std::string> environment = job_environment(threads);
  std::vector<char*> envp;
  for (const std::string& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* args[] = {exe_s.c_str(), "job", "--spec", spec_s.c_str(), nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(fmt::format("cannot start a job process: {}", std::strerror(errno)));
  if (pid == 0) {
    // The child: die with the runner, report on the pipes.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::execve(exe_s.c_str(), const_cast<char* const*>(args), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Child c;
  c.job = job;
  c.pid = pid;
  c.out_fd = out_pipe[0];
  c.err_fd = err_pipe[0];
  c.started = std::chrono::steady_clock::now();
  return c;
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

}  // namespace

std::filesystem::path current_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the cwrf executable (/proc/self/exe)");
  return p;
}

std::vector<ModelResult> run_model_jobs(const Plan& plan, const SchedulerOptions& options,
                                        const SchedulerCallbacks& callbacks) {
  const size_t n = plan.jobs.size();
  std::vector<ModelResult> results(n);
  std::vector<bool> started(n, false);
  std::vector<Child> running;
  std::string failure;
  std::filesystem::create_directories(options.spec_dir);
  const std::filesystem::path exe = options.executable.empty() ? current_executable() : options.executable;

  auto ready = [&](size_t j) {
    const int parent = plan.jobs[j].parent;
    return !started[j] && (parent < 0 || results[parent].done);
  };
  auto launch_more = [&] {
    for (size_t j = 0; j < n && failure.empty() && static_cast<int64_t>(running.size()) < options.parallel; ++j) {
      if (!ready(j)) continue;
      const ModelJob& job = plan.jobs[j];
      const std::string kind = job.kind == JobKind::Train ? "train" : "cwrf";
      const std::string parent = job.parent < 0 ? "" : results[job.parent].dir.string();
      const auto spec_path = options.spec_dir / fmt::format("job-{}.json", j);
      write_file_atomic(spec_path,
                        job_spec(kind, job.config, parent, options.models_root, options.threads_per_job).dump(2));
      started[j] = true;
      running.push_back(spawn(exe, spec_path, static_cast<int>(j), options.threads_per_job));
      if (callbacks.on_start) callbacks.on_start(static_cast<int>(j));
    }
  };

  launch_more();
  while (!running.empty()) {
    std::vector<pollfd> fds;
    for (const auto& c : running) {
      fds.push_back({c.out_fd, POLLIN, 0});
      fds.push_back({c.err_fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 500) < 0 && errno != EINTR)
      throw Error(fmt::format("waiting for jobs failed: {}", std::strerror(errno)));
    for (size_t i = 0; i < running.size(); ++i) {
      Child& c = running[i];
      if (c.out_fd >= 0 && (fds[2 * i].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (!drain(c.out_fd, c.out_buffer)) {
          ::close(c.out_fd);
          c.out_fd = -1;
        }
        size_t nl;
        while ((nl = c.out_buffer.find('\n')) != std::string::npos) {
          const std::string line = c.out_buffer.substr(0, nl);
          c.out_buffer.erase(0, nl + 1);
          nlohmann::json event;
          try {
            event = nlohmann::json::parse(line);
          } catch (const nlohmann::json::exception&) {
            continue;  // not a protocol line (a library's chatter): ignore
          }
          if (event.value("event", "") == "done") {
            ModelResult& r = results[c.job];
            r.dir = event.at("dir").get<std::string>();
            r.reused = event.at("reused").get<bool>();
            r.metrics = event.at("metrics");
          }
          if (callbacks.on_event) callbacks.on_event(c.job, event);
        }
      }
      if (c.err_fd >= 0 && (fds[2 * i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (!drain(c.err_fd, c.err_text)) {
          ::close(c.err_fd);
          c.err_fd = -1;
        }
      }
    }
    // Reap children whose pipes are closed.
    for (size_t i = 0; i < running.size();) {
      Child& c = running[i];
      if (c.out_fd >= 0 || c.err_fd >= 0) {
        ++i;
        continue;
      }
      int status = 0;
      while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
      }
      ModelResult& r = results[c.job];
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count();
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !r.dir.empty();
      if (ok) {
        r.done = true;
        if (callbacks.on_done) callbacks.on_done(c.job, r);
      } else if (failure.empty()) {
        std::string why = last_line(c.err_text);
        if (why.empty())
          why = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                    : fmt::format("exit status {}", WEXITSTATUS(status));
        failure = fmt::format("job '{}' failed: {}", plan.jobs[c.job].label, why);
      }
      running.erase(running.begin() + static_cast<long>(i));
    }
    launch_more();
  }
  if (!failure.empty()) throw Error(failure);
  return results;
}

}  // namespace cwrf::experiment
