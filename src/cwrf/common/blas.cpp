#include "cwrf/common/blas.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace cwrf::blas {

namespace {

// cwrf's own notes to itself across the re-execution (and to its child jobs).
constexpr const char* kSelected = "CWRF_BLAS_SELECTED";  // the core cwrf asked for
constexpr const char* kDetected = "CWRF_BLAS_DETECTED";  // the library's own choice before that
constexpr const char* kVerified = "CWRF_BLAS_VERIFIED";  // the core that passed the GEMM self-check
constexpr const char* kRejected = "CWRF_BLAS_REJECTED";  // why a selected core was given up
// (and CWRF_BLAS_SETTLED: nothing more to choose in this process tree)

template <typename F>
F* symbol(const char* name) {
  return reinterpret_cast<F*>(::dlsym(RTLD_DEFAULT, name));
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string library_core() {
  auto* corename = symbol<char*()>("openblas_get_corename");
  return corename == nullptr ? "" : std::string(corename());
}

// Runs this program again with the environment as set; returns only if that fails (no /proc).
void reexec(char** argv) { ::execv("/proc/self/exe", argv); }

}  // namespace

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1, fma = (c >> 12) & 1;
  if (!osxsave) return f;
  // The OS must save the YMM (bits 1, 2) and ZMM (bits 5-7) state for the instructions to run.
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool ymm = (xcr0_lo & 0x6) == 0x6, zmm = ymm && (xcr0_lo & 0xe0) == 0xe0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.fma = ymm && fma;
  f.avx2 = ymm && ((b >> 5) & 1);
  f.avx512f = zmm && ((b >> 16) & 1);
  f.avx512dq = zmm && ((b >> 17) & 1);
  f.avx512cd = zmm && ((b >> 28) & 1);
  f.avx512bw = zmm && ((b >> 30) & 1);
  f.avx512vl = zmm && ((b >> 31) & 1);
#endif
  return f;
}

bool is_generic_core(const std::string& core) {
  // OpenBLAS 0.3.21's x86 cores without AVX2 kernels (driver/others/dynamic.c).
  static const std::set<std::string> generic = {"Katmai",  "Coppermine", "Northwood", "Prescott",   "Banias",
                                                "Core2",   "Penryn",     "Dunnington", "Nehalem",   "Atom",
                                                "Opteron", "Opteron(SSE3)", "Barcelona", "Nano",    "Sandybridge",
                                                "Bobcat",  "Bulldozer",  "Piledriver"};
  return generic.count(core) > 0;
}

std::string preferred_core(const std::string& detected, const CpuFeatures& features) {
  if (!is_generic_core(detected)) return "";
  if (features.avx512()) return "SkylakeX";
  if (features.avx2 && features.fma) return "Haswell";
  return "";
}

std::string Info::describe() const {
  if (library.empty()) return "BLAS: not OpenBLAS (no core selection)";
  return fmt::format("BLAS: {} core {} (chosen by {}), {} thread{}", config, core, chosen_by, threads,
                     threads == 1 ? "" : "s");
}

Info info() {
  Info i;
  auto* config = symbol<char*()>("openblas_get_config");
  if (config == nullptr) return i;
  i.library = "OpenBLAS";
  i.config = config();
  i.core = library_core();
  i.threads = threads();
  const std::string requested = env("OPENBLAS_CORETYPE");
  if (requested.empty()) i.chosen_by = "OpenBLAS";
  else i.chosen_by = requested == env(kSelected) ? "cwrf" : "OPENBLAS_CORETYPE";
  return i;
}

int set_threads(int n) {
  if (auto* set = symbol<void(int)>("openblas_set_num_threads")) set(std::max(1, n));
  return threads();
}

int threads() {
  auto* get = symbol<int()>("openblas_get_num_threads");
  return get == nullptr ? 0 : get();
}

double gemm_error(const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& multiply) {
  // Odd shapes exercise the kernels' edge handling as well as their blocked inner loops.
  const int64_t shapes[][3] = {{64, 64, 64}, {97, 75, 53}, {1, 130, 31}, {33, 7, 129}};
  auto gen = at::make_generator<at::CPUGeneratorImpl>(20261201);
  double worst = 0.0;
  for (const auto& s : shapes) {
    const int64_t m = s[0], k = s[1], n = s[2];
    const torch::Tensor a = torch::randn({m, k}, gen, torch::kFloat32), b = torch::randn({k, n}, gen, torch::kFloat32);
    const torch::Tensor c = (multiply ? multiply(a, b) : torch::mm(a, b)).to(torch::kFloat64).contiguous();
    const torch::Tensor a64 = a.to(torch::kFloat64).contiguous(), b64 = b.to(torch::kFloat64).contiguous();
    const double* pa = a64.data_ptr<double>();
    const double* pb = b64.data_ptr<double>();
    const double* pc = c.data_ptr<double>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0.0, scale = 0.0;  // the reference, and the size of its terms
        for (int64_t p = 0; p < k; ++p) {
          sum += pa[i * k + p] * pb[p * n + j];
          scale += std::abs(pa[i * k + p] * pb[p * n + j]);
        }
        const double error = std::abs(pc[i * n + j] - sum) / std::max(scale, 1e-30);
        if (!(error <= worst)) worst = std::isnan(error) ? INFINITY : std::max(worst, error);
      }
  }
  return worst;
}

Decision decide(const Situation& s) {
  Decision d;
  auto get = [&](const char* key) {
    const auto it = s.env.find(key);
    return it == s.env.end() ? std::string() : it->second;
  };
  if (s.library_core.empty()) return d;  // not OpenBLAS
  const std::string selected = get(kSelected), requested = get("OPENBLAS_CORETYPE");
  if (!selected.empty() && requested == selected) {
    // Running on the core cwrf asked for: trust it once its GEMM agrees with float64.
    if (get(kVerified) == s.library_core) return d;  // a child of a verified process
    const double error = s.gemm_error ? s.gemm_error() : 0.0;
    if (error <= kGemmTolerance) {
      d.set[kVerified] = s.library_core;
      return d;
    }
    const std::string detected = get(kDetected);
    d.reexec = true;
    d.set[kRejected] = fmt::format(
        "OpenBLAS's {} kernels failed cwrf's GEMM self-check on this CPU (relative error {:.3g} > {:g}); using "
        "its own choice, {}",
        s.library_core, error, kGemmTolerance, detected.empty() ? "the default" : detected);
    d.unset.push_back(kSelected);
    if (detected.empty()) d.unset.push_back("OPENBLAS_CORETYPE");
    else d.set["OPENBLAS_CORETYPE"] = detected;
    return d;
  }
  if (const std::string rejected = get(kRejected); !rejected.empty()) {
    d.warning = rejected;  // said once, by the process that gave the core up
    d.unset.push_back(kRejected);
    d.set["CWRF_BLAS_SETTLED"] = "1";
    return d;
  }
  if (!requested.empty() || !get("CWRF_BLAS_SETTLED").empty()) return d;  // the user's choice, or settled
  const std::string better = preferred_core(s.library_core, s.features);
  if (better.empty()) return d;
  d.reexec = true;
  d.set[kDetected] = s.library_core;
  d.set[kSelected] = better;
  d.set["OPENBLAS_CORETYPE"] = better;
  return d;
}

std::string select_core(int, char** argv) {
  Situation s;
  s.library_core = library_core();
  s.features = cpu_features();
  for (const char* key : {"OPENBLAS_CORETYPE", kSelected, kDetected, kVerified, kRejected, "CWRF_BLAS_SETTLED"})
    if (const char* v = std::getenv(key)) s.env[key] = v;
  s.gemm_error = [] { return gemm_error(); };
  const Decision d = decide(s);
  for (const auto& [key, value] : d.set) ::setenv(key.c_str(), value.c_str(), 1);
  for (const std::string& key : d.unset) ::unsetenv(key.c_str());
  if (!d.reexec) return d.warning;
  reexec(argv);
  // Could not run again (no /proc): carry on with what is loaded, and say so.
  ::setenv("CWRF_BLAS_SETTLED", "1", 1);
  return fmt::format("cwrf could not restart itself to use OpenBLAS core {} (now {}); set OPENBLAS_CORETYPE yourself",
                     d.set.count("OPENBLAS_CORETYPE") ? d.set.at("OPENBLAS_CORETYPE") : "(default)", s.library_core);
}

}  // namespace cwrf::blas
