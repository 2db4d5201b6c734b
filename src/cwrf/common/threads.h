// How many threads a job uses, and setting them: the one place that turns a `threads` setting
// (0 = every core) into a count and applies it to every thread pool — LibTorch's intra-op pool
// (with OpenMP) and OpenBLAS's own, which torch::set_num_threads does not bound (DESIGN.md: a
// "1-thread" job with OpenBLAS's default pool burned 1.9 cores).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cwrf {

// `requested` when > 0, otherwise the number of cores (at least 1).
int64_t resolve_threads(int64_t requested);

// Sets LibTorch's intra-op pool (DESIGN.md: this LibTorch starts with 1 thread unless told) and
// OpenBLAS's pool to `threads`.
void apply_thread_count(int64_t threads);

// The environment of a child job that uses `threads` threads: this process's environment with
// OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set, so the child's pools are that size from the
// moment its libraries load (entries "KEY=value", for execve).
std::vector<std::string> job_environment(int64_t threads);

}  // namespace cwrf
