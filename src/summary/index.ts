// tf.summary: TensorBoard event files.
export { createFileWriter, SummaryFileWriter, type FileWriterOptions } from './file-writer';
