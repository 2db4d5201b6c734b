#include "cwrf/common/threads.h"

#include <torch/torch.h>

#include <algorithm>
#include <thread>

namespace cwrf {

int64_t resolve_threads(int64_t requested) {
  if (requested > 0) return requested;
  return std::max<int64_t>(1, std::thread::hardware_concurrency());
}

void apply_thread_count(int64_t threads) {
  if (torch::get_num_threads() != threads) torch::set_num_threads(static_cast<int>(threads));
}

}  // namespace cwrf
