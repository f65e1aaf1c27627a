// The GEMM micro-kernels, packing and GEMV routines, compiled once per instruction set
// (tf_kernel_family, see common/isa.h). They are hand-written per level, so this body picks the
// level's own header; each defines gemm_detail::<level>::table() for gemm.cpp's dispatch.
#include "kernels/common/isa.h"

#if TF_ISA_LEVEL == TF_ISA_AVX512
#include "kernels/gemm/micro_avx512.h"
#elif TF_ISA_LEVEL == TF_ISA_AVX2
#include "kernels/gemm/micro_avx2.h"
#else
#include "kernels/gemm/micro_scalar.h"
#endif
