// AVX-512 copy of the recurrent-cell kernels (see rnn_body.h).
#define TF_RNN_ISA rnn_avx512
#include "kernels/rnn_body.h"
