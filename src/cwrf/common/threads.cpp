#include "cwrf/common/threads.h"

#include "cwrf/common/blas.h"

#include <torch/torch.h>

#include <algorithm>
#include <thread>

extern char** environ;

namespace cwrf {

int64_t resolve_threads(int64_t requested) {
  if (requested > 0) return requested;
  return std::max<int64_t>(1, std::thread::hardware_concurrency());
}

void apply_thread_count(int64_t threads) {
  if (torch::get_num_threads() != threads) torch::set_num_threads(static_cast<int>(threads));
  if (blas::threads() != threads) blas::set_threads(static_cast<int>(threads));
}

std::vector<std::string> job_environment(int64_t threads) {
  const std::vector<std::string> set = {"OPENBLAS_NUM_THREADS=" + std::to_string(threads),
                                        "OMP_NUM_THREADS=" + std::to_string(threads)};
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (std::none_of(set.begin(), set.end(), [&](const std::string& s) { return s.rfind(key + "=", 0) == 0; }))
      out.push_back(entry);
  }
  out.insert(out.end(), set.begin(), set.end());
  return out;
}

}  // namespace cwrf
