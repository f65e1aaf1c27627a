#pragma once
// Which SIMD kernels this CPU can run. Chosen once at run time from CPUID so one binary
// runs everywhere; the build never targets the building machine's own CPU.
namespace tf::kernels {

enum class SimdLevel : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// Best level the CPU (and OS, via XGETBV) supports, lowered by TENSORFORGE_SIMD=scalar|avx2|avx512
// when set (it can only lower, never raise beyond what the hardware runs).
SimdLevel simd_level();
// Forces a level for tests and benchmarks; clamped to what the hardware supports. Returns the level set.
SimdLevel set_simd_level(SimdLevel level);
SimdLevel hardware_simd_level();
const char* simd_level_name(SimdLevel level);
// AVX512_VNNI (vpdpbusd on ZMM) with the AVX-512 state the avx512 level needs; the integer kernels
// run their avx512vnni copy at level avx512 when this holds.
bool cpu_has_avx512_vnni();
// AVX-VNNI (the VEX-encoded vpdpbusd of AVX2-only CPUs). Detected for reporting; no kernel uses it yet.
bool cpu_has_avx_vnni();

}  // namespace tf::kernels
