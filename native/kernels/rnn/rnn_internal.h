#pragma once
// Private to the recurrent-cell kernels: the per-ISA table rnn.cpp dispatches to. rnn_body.cpp is
// compiled once per ISA (tf_kernel_family), each copy filling one table.
#include "kernels/common/isa_dispatch.h"
#include "kernels/rnn/rnn.h"

namespace tf::kernels::rnn_detail {

// The backward kernels take the caller's scratch (2 * units floats for LSTM, units for GRU): a
// template or allocation shared between the copies could be the one compiled for a wider ISA.
struct Kernels {
  void (*lstm_cell_forward)(const LstmForward& a);
  void (*lstm_cell_backward)(const LstmBackward& a, float* scratch);
  void (*gru_cell_forward)(const GruForward& a);
  void (*gru_cell_backward)(const GruBackward& a, float* scratch);
};

TF_ISA_TABLE(Kernels)

}  // namespace tf::kernels::rnn_detail
