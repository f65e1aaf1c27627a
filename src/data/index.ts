/**
 * Data utilities in the Keras / tf.data / scikit-learn style: built-in datasets, IDX and CSV
 * readers, preprocessing (one-hot, scaling, splits, folds) and the `Dataset` input pipeline.
 */
export { datasets } from './datasets';
export type { MnistData, MnistOptions, MnistSplit } from './mnist';
export { readIdx, readIdxSync } from './idx';
export { readCsv, readCsvSync, type CsvColumn, type CsvData, type CsvOptions } from './csv';
export type { FilePath } from './read-file';
export { toCategorical } from './to-categorical';
export type { LabelsLike } from './label-values';
export type { DataLike } from './float-input';
export { normalize, type NormalizeOptions } from './normalize';
export { Standardizer, standardScaler, standardize } from './standardize';
export { trainTestSplit, type TrainTestSplit, type TrainTestSplitOptions } from './train-test-split';
export { kFold, type Fold, type KFoldOptions } from './k-fold';
export { shuffle, permutation, type ShuffleOptions } from './shuffle';
export { Dataset, type BatchOptions, type DataElement } from './dataset';
export { readCsvStream, readTextLines, type CsvStreamOptions } from './csv-stream';
export type { StreamOptions } from './text-stream';
export { imageFolder, type ImageFolderOptions, type ImageFolderDataset } from './image-folder';
export type { ColorMode } from './image-decode';

import { readCsvStream, readTextLines } from './csv-stream';
import { Dataset } from './dataset';
import { imageFolder } from './image-folder';

/**
 * tf.data-style names for the dataset builders: `tf.data.imageFolder(dir)`, `tf.data.csvStream(path)`
 * (= readCsvStream), `tf.data.textLines(path)` (= readTextLines), `tf.data.zip(...)`,
 * `tf.data.fromTensors(x, y)` and `tf.data.fromIterable(gen)`.
 */
export const data = {
  imageFolder,
  csvStream: readCsvStream,
  textLines: readTextLines,
  zip: Dataset.zip,
  fromTensors: Dataset.fromTensors,
  fromIterable: Dataset.fromIterable,
};
