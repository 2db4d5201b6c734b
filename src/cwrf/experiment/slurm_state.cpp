#include "cwrf/experiment/slurm_state.h"

#include "cwrf/common/error.h"
#include "cwrf/common/files.h"
#include "cwrf/common/hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace cwrf::experiment {

namespace fs = std::filesystem;

namespace {

constexpr int kStateFormat = 1;

fs::path state_file(const fs::path& root) { return root / "state.json"; }

}  // namespace

std::string slurm_job_key(const std::string& identity) { return content_hash(identity); }

SlurmState read_slurm_state(const fs::path& root) {
  SlurmState state;
  const fs::path file = state_file(root);
  std::error_code ec;
  if (!fs::exists(file, ec)) return state;
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(file));
    if (j.value("format", 0) != kStateFormat)
      throw Error(fmt::format("{}: unknown format {} (this cwrf writes {}); move it away to start afresh",
                              file.string(), j.value("format", 0), kStateFormat));
    for (const auto& [key, r] : j.at("jobs").items()) {
      SlurmRecord record;
      record.label = r.value("label", "");
      record.kind = r.value("kind", "");
      record.slurm_id = r.value("slurm_id", "");
      record.spec = r.value("spec", "");
      record.result = r.value("result", "");
      record.out_log = r.value("out_log", "");
      record.err_log = r.value("err_log", "");
      record.after = r.value("after", std::vector<std::string>{});
      record.submissions = r.value("submissions", int64_t{0});
      record.submitted = r.value("submitted", "");
      state.jobs.emplace(key, std::move(record));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a valid Slurm state file ({}); move it away to start afresh", file.string(),
                            e.what()));
  }
  return state;
}

void write_slurm_state(const fs::path& root, const SlurmState& state) {
  nlohmann::json jobs = nlohmann::json::object();
  for (const auto& [key, r] : state.jobs)
    jobs[key] = {{"label", r.label},
                 {"kind", r.kind},
                 {"slurm_id", r.slurm_id},
                 {"spec", r.spec.string()},
                 {"result", r.result.string()},
                 {"out_log", r.out_log.string()},
                 {"err_log", r.err_log.string()},
                 {"after", r.after},
                 {"submissions", r.submissions},
                 {"submitted", r.submitted}};
  write_file_atomic(state_file(root), nlohmann::json{{"format", kStateFormat}, {"jobs", jobs}}.dump(2) + "\n");
}

SlurmStateLock::SlurmStateLock(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw Error(fmt::format("cannot create directory {}: {}", root.string(), ec.message()));
  const fs::path file = root / "lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd_);
    throw Error(fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
  }
}

SlurmStateLock::~SlurmStateLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace cwrf::experiment
