#pragma once
// Included by the per-ISA bodies (`*_body.cpp`), which tf_kernel_family (CMakeLists.txt) and
// scripts/check-native.cjs compile once per level in isa_levels.txt, each with that level's flags
// and -DTF_ISA_LEVEL. TF_ISA_NS names the level's namespace, so the copies' symbols differ and
// isa_dispatch.h can name each one.
#define TF_ISA_SCALAR 0  // baseline x86-64 (SSE2)
#define TF_ISA_AVX2 1    // AVX2 + FMA + F16C
#define TF_ISA_AVX512 2  // AVX-512 F/DQ/BW/VL
// AVX-512 + VNNI (vpdpbusd). Only the families isa_levels.txt names on its line are compiled at this
// level (the integer kernels); their dispatchers pick it when cpu_has_avx512_vnni() at level avx512.
#define TF_ISA_AVX512VNNI 3

#ifndef TF_ISA_LEVEL
#error "a *_body.cpp is built once per ISA with -DTF_ISA_LEVEL (see tf_kernel_family)"
#endif

#if TF_ISA_LEVEL == TF_ISA_AVX512VNNI
#define TF_ISA_NS avx512vnni
#elif TF_ISA_LEVEL == TF_ISA_AVX512
#define TF_ISA_NS avx512
#elif TF_ISA_LEVEL == TF_ISA_AVX2
#define TF_ISA_NS avx2
#elif TF_ISA_LEVEL == TF_ISA_SCALAR
#define TF_ISA_NS scalar
#else
#error "unknown TF_ISA_LEVEL"
#endif
