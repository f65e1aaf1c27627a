// AVX2 + FMA copy of the recurrent-cell kernels (see rnn_body.h).
#define TF_RNN_ISA rnn_avx2
#include "kernels/rnn_body.h"
