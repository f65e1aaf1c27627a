import { clearMnistCache, mnist } from './mnist';

/**
 * Built-in datasets, as in `keras.datasets`: `datasets.mnist()` returns the bundled
 * 10,000 digits as a fixed train/test split. `datasets.clearCache()` frees the parsed copy.
 */
export const datasets = {
  mnist,
  clearCache: clearMnistCache,
} as const;
