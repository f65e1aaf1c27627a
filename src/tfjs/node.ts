// tfjs-node's `tf.node` namespace: the TensorBoard callback and summary writer.
import { type TensorBoardArgs, callbacks } from '../callbacks';
import { createFileWriter } from '../summary/file-writer';

export const node = {
  /** `tf.node.tensorBoard(logdir, { updateFreq, histogramFreq })`: the TensorBoard callback. */
  tensorBoard: (logdir = './logs', args?: TensorBoardArgs) => callbacks.tensorBoard(logdir, args),
  /** `tf.node.summaryFileWriter(logdir)`: a summary writer (scalar, histogram, flush, close). */
  summaryFileWriter: (logdir: string) => createFileWriter(logdir),
};
