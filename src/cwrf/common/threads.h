// How many threads a job uses, and setting them: the one place that turns a `threads` setting
// (0 = every core) into a count and applies it to the thread pools of this process.
#pragma once

#include <cstdint>

namespace cwrf {

// `requested` when > 0, otherwise the number of cores (at least 1).
int64_t resolve_threads(int64_t requested);

// Sets LibTorch's intra-op pool (DESIGN.md: this LibTorch starts with 1 thread unless told).
void apply_thread_count(int64_t threads);

}  // namespace cwrf
