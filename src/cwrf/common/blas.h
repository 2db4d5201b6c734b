// The BLAS library under LibTorch (Debian: OpenBLAS 0.3.21, built for every x86 core type and
// choosing one when it loads): which core it runs, how many threads it uses, and the choice of a
// better core where OpenBLAS does not know the CPU.
//
// Measured (docs/performance.md, DESIGN.md): OpenBLAS keeps its own thread pool, which
// torch::set_num_threads does not bound, so every job bounds it too (threads.h); and on Intel
// CPUs newer than the library (e.g. family 6 model 207, AVX-512) it falls back to its generic
// Prescott (SSE3) kernels, 1.7x slower on GEMM-bound jobs. The core is fixed when the library
// loads, so cwrf chooses it before: it re-executes itself once with OPENBLAS_CORETYPE set (and
// children inherit it), unless the user set OPENBLAS_CORETYPE, and trusts the choice only after
// a GEMM self-check against a float64 reference (some OpenBLAS builds compute wrong results on
// some processors).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

namespace cwrf::blas {

// The x86 features OpenBLAS's faster kernels need.
struct CpuFeatures {
  bool avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512cd = false;
  bool avx512() const { return avx512f && avx512bw && avx512vl && avx512dq && avx512cd; }
};
CpuFeatures cpu_features();  // cpuid (all false off x86)

// True for OpenBLAS's pre-AVX2 x86 cores (Prescott, Core2, Penryn, Nehalem, Atom, ...): what it
// falls back to on a CPU it does not know.
bool is_generic_core(const std::string& core);

// The core cwrf should ask for: "SkylakeX" with AVX-512, "Haswell" with AVX2 + FMA, when the
// detected core is generic; "" when the library's own choice stands.
std::string preferred_core(const std::string& detected, const CpuFeatures& features);

// What runs now. library is empty when LibTorch's BLAS is not OpenBLAS (then nothing applies).
struct Info {
  std::string library;    // "OpenBLAS"
  std::string config;     // openblas_get_config(): version, build options
  std::string core;       // openblas_get_corename(), e.g. "SkylakeX"
  std::string chosen_by;  // "OpenBLAS" | "cwrf" | "OPENBLAS_CORETYPE" (the user)
  int threads = 0;
  std::string describe() const;  // one line for --version and logs
};
Info info();

// Sets OpenBLAS's thread count (no-op without OpenBLAS); returns what it reads back.
int set_threads(int threads);
int threads();

// Largest relative error of single-precision GEMM (`multiply`, default torch::mm, which calls the
// BLAS sgemm) against a float64 triple loop, over a few odd shapes.
double gemm_error(const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& multiply = {});
constexpr double kGemmTolerance = 1e-4;  // float32 sums of ~100 products are good to ~1e-6

// The core selection as a pure decision over what the process sees, so each path is testable.
struct Situation {
  std::string library_core;            // openblas_get_corename(): what runs now
  CpuFeatures features;
  std::map<std::string, std::string> env;  // OPENBLAS_CORETYPE and cwrf's CWRF_BLAS_* notes
  std::function<double()> gemm_error;      // called only when the decision needs the self-check
};
struct Decision {
  bool reexec = false;                     // run the program again with `set` / `unset` applied
  std::map<std::string, std::string> set;  // environment to set (first)
  std::vector<std::string> unset;          // environment to remove
  std::string warning;                     // to print, or ""
};
Decision decide(const Situation& situation);

// Called first in main(): decides with the real situation and applies the decision (re-executing
// the program when it says so; that does not return). Returns a warning to print, or "".
std::string select_core(int argc, char** argv);

}  // namespace cwrf::blas
