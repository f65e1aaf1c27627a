// Every case module, in table order. A new benchmark (MLP training samples/s, conv2d, LSTM,
// inference latency) is a new file exporting `group` and `cases(opts)` (see gemm.mjs for the shape of
// a case; opts are the parsed CLI options), added here; the runner, table and JSON need no change.
// Optional exports: notes() (why cases were skipped) and summary(rows) (text printed under the table).
import * as gemm from './gemm.mjs';
import * as elementwise from './elementwise.mjs';
import * as mlpTrain from './mlp-train.mjs';
import * as conv from './conv.mjs';
import * as depthwise from './depthwise.mjs';
import * as cnnTrain from './cnn-train.mjs';
import * as lstmTrain from './lstm-train.mjs';
import * as inferenceLatency from './inference-latency.mjs';
import * as real from './real.mjs';
import * as quant from './quant.mjs';
import * as quantModels from './quant-models.mjs';
import * as pruning from './pruning.mjs';
import * as realTrain from './real-train.mjs';

export const CASE_MODULES = [gemm, elementwise, mlpTrain, conv, depthwise, cnnTrain, lstmTrain, realTrain, inferenceLatency, real, quant, quantModels, pruning];
