// Dispatch of the fused recurrent-cell kernels (rnn.h) to the copy of rnn_body.cpp for the active
// SIMD level, with the backward kernels' scratch.
#include "kernels/rnn/rnn.h"

#include <cstddef>
#include <vector>

#include "kernels/rnn/rnn_internal.h"

namespace tf::kernels {

void lstm_cell_forward(const LstmForward& a) { rnn_detail::active_table().lstm_cell_forward(a); }

void lstm_cell_backward(const LstmBackward& a) {
  std::vector<float> scratch(static_cast<std::size_t>(2 * a.units));
  rnn_detail::active_table().lstm_cell_backward(a, scratch.data());
}

void gru_cell_forward(const GruForward& a) { rnn_detail::active_table().gru_cell_forward(a); }

void gru_cell_backward(const GruBackward& a) {
  std::vector<float> scratch(static_cast<std::size_t>(a.units));
  rnn_detail::active_table().gru_cell_backward(a, scratch.data());
}

}  // namespace tf::kernels
