#include "kernels/common/cpu_features.h"

#include <cpuid.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace tf::kernels {
namespace {

// XGETBV through inline asm: the _xgetbv intrinsic needs -mxsave, which this baseline file must
// not be compiled with.
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

SimdLevel detect_hardware() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(1, 0, &eax, &ebx, &ecx, &edx)) return SimdLevel::Scalar;
  const bool osxsave = ecx & (1u << 27);
  const bool avx = ecx & (1u << 28);
  const bool fma = ecx & (1u << 12);
  const bool f16c = ecx & (1u << 29);
  // Without OSXSAVE the OS does not save YMM/ZMM registers on context switch, so the CPU flags
  // alone would let a kernel's registers be clobbered by another process.
  if (!osxsave || !avx || !fma || !f16c) return SimdLevel::Scalar;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;           // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!ymm_state) return SimdLevel::Scalar;

  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return SimdLevel::Scalar;
  const bool avx2 = ebx & (1u << 5);
  if (!avx2) return SimdLevel::Scalar;
  const bool avx512f = ebx & (1u << 16);
  const bool avx512dq = ebx & (1u << 17);
  const bool avx512bw = ebx & (1u << 30);
  const bool avx512vl = ebx & (1u << 31);
  if (zmm_state && avx512f && avx512dq && avx512bw && avx512vl) return SimdLevel::Avx512;
  return SimdLevel::Avx2;
}

struct VnniFeatures {
  bool avx512_vnni = false;
  bool avx_vnni = false;
};

VnniFeatures detect_vnni() {
  VnniFeatures f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  const unsigned max_subleaf = eax;
  // The register state checks are the ones detect_hardware() made for the level that runs these.
  f.avx512_vnni = detect_hardware() == SimdLevel::Avx512 && (ecx & (1u << 11));
  if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) {
    f.avx_vnni = static_cast<int>(detect_hardware()) >= static_cast<int>(SimdLevel::Avx2) && (eax & (1u << 4));
  }
  return f;
}

const VnniFeatures& vnni_cached() {
  static const VnniFeatures f = detect_vnni();
  return f;
}

// Returns the level requested by TENSORFORGE_SIMD, or `fallback` when unset or unrecognised.
SimdLevel env_level(SimdLevel fallback) {
  const char* v = std::getenv("TENSORFORGE_SIMD");
  if (v == nullptr || *v == '\0') return fallback;
  if (std::strcmp(v, "scalar") == 0) return SimdLevel::Scalar;
  if (std::strcmp(v, "avx2") == 0) return SimdLevel::Avx2;
  if (std::strcmp(v, "avx512") == 0) return SimdLevel::Avx512;
  return fallback;
}

SimdLevel min_level(SimdLevel a, SimdLevel b) {
  return static_cast<int>(a) < static_cast<int>(b) ? a : b;
}

SimdLevel hardware_cached() {
  static const SimdLevel level = detect_hardware();
  return level;
}

// -1 until first use; kernels read it on every call, so a relaxed atomic load keeps that cheap.
std::atomic<int> g_level{-1};

}  // namespace

SimdLevel hardware_simd_level() { return hardware_cached(); }

SimdLevel simd_level() {
  int v = g_level.load(std::memory_order_relaxed);
  if (v >= 0) return static_cast<SimdLevel>(v);
  const SimdLevel hw = hardware_cached();
  const SimdLevel chosen = min_level(hw, env_level(hw));
  int expected = -1;
  // A racing set_simd_level() wins over the lazy default.
  g_level.compare_exchange_strong(expected, static_cast<int>(chosen), std::memory_order_relaxed);
  return static_cast<SimdLevel>(g_level.load(std::memory_order_relaxed));
}

SimdLevel set_simd_level(SimdLevel level) {
  const SimdLevel chosen = min_level(level, hardware_cached());
  g_level.store(static_cast<int>(chosen), std::memory_order_relaxed);
  return chosen;
}

bool cpu_has_avx512_vnni() { return vnni_cached().avx512_vnni; }
bool cpu_has_avx_vnni() { return vnni_cached().avx_vnni; }

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Scalar: return "scalar";
    case SimdLevel::Avx2: return "avx2";
    case SimdLevel::Avx512: return "avx512";
  }
  return "unknown";
}

}  // namespace tf::kernels
