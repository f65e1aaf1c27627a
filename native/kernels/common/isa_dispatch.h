#pragma once
// The run-time half of the per-ISA idiom: each family's body defines `const Table& table()` in
// namespace <family ns>::{scalar,avx2,avx512} (one copy per compile, see isa.h), and the family's
// dispatcher calls active_table() to get the copy for simd_level().
#include "kernels/common/cpu_features.h"

// Expands inside the family's namespace.
#define TF_ISA_TABLE(Table)                                                                       \
  namespace scalar {                                                                              \
  const Table& table();                                                                           \
  }                                                                                               \
  namespace avx2 {                                                                                \
  const Table& table();                                                                           \
  }                                                                                               \
  namespace avx512 {                                                                              \
  const Table& table();                                                                           \
  }                                                                                               \
  inline const Table& active_table() {                                                            \
    switch (::tf::kernels::simd_level()) {                                                        \
      case ::tf::kernels::SimdLevel::Avx512: return avx512::table();                              \
      case ::tf::kernels::SimdLevel::Avx2: return avx2::table();                                  \
      default: return scalar::table();                                                            \
    }                                                                                             \
  }
