// Dispatch of the fused recurrent-cell kernels (rnn.h) to the copy for the active SIMD level; the
// baseline copy is compiled here, the others in rnn_avx2.cpp / rnn_avx512.cpp (see rnn_body.h).
#include "kernels/rnn.h"

#include <vector>

#include "kernels/cpu_features.h"

#define TF_RNN_ISA rnn_base
#include "kernels/rnn_body.h"
#undef TF_RNN_ISA

#define TF_RNN_DECLARE(ns)                                                  \
  namespace tf::kernels::ns {                                               \
  void lstm_cell_forward(const LstmForward& a);                             \
  void lstm_cell_backward(const LstmBackward& a, float* scratch);           \
  void gru_cell_forward(const GruForward& a);                               \
  void gru_cell_backward(const GruBackward& a, float* scratch);             \
  }
TF_RNN_DECLARE(rnn_avx2)
TF_RNN_DECLARE(rnn_avx512)

namespace tf::kernels {

void lstm_cell_forward(const LstmForward& a) {
  switch (simd_level()) {
    case SimdLevel::Avx512: return rnn_avx512::lstm_cell_forward(a);
    case SimdLevel::Avx2: return rnn_avx2::lstm_cell_forward(a);
    default: return rnn_base::lstm_cell_forward(a);
  }
}

void lstm_cell_backward(const LstmBackward& a) {
  std::vector<float> scratch(static_cast<size_t>(2 * a.units));
  switch (simd_level()) {
    case SimdLevel::Avx512: return rnn_avx512::lstm_cell_backward(a, scratch.data());
    case SimdLevel::Avx2: return rnn_avx2::lstm_cell_backward(a, scratch.data());
    default: return rnn_base::lstm_cell_backward(a, scratch.data());
  }
}

void gru_cell_forward(const GruForward& a) {
  switch (simd_level()) {
    case SimdLevel::Avx512: return rnn_avx512::gru_cell_forward(a);
    case SimdLevel::Avx2: return rnn_avx2::gru_cell_forward(a);
    default: return rnn_base::gru_cell_forward(a);
  }
}

void gru_cell_backward(const GruBackward& a) {
  std::vector<float> scratch(static_cast<size_t>(a.units));
  switch (simd_level()) {
    case SimdLevel::Avx512: return rnn_avx512::gru_cell_backward(a, scratch.data());
    case SimdLevel::Avx2: return rnn_avx2::gru_cell_backward(a, scratch.data());
    default: return rnn_base::gru_cell_backward(a, scratch.data());
  }
}

}  // namespace tf::kernels
