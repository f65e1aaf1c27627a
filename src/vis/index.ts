// Pictures as files (`tf.vis`): model graphs, training curves, confusion matrices, image grids and
// heat-map overlays as self-contained SVG / PNG, and a one-page HTML report. Nothing here fetches
// or links anything from the network, so the files open anywhere.
import { plotModel } from './plot-model';
import { plotHistory } from './plot-history';
import { confusionMatrix } from './confusion-matrix';
import { imageGrid } from './image-grid';
import { heatmapOverlay } from './heatmap';
import { report } from './report';

/** Pictures and reports as files: plotModel, plotHistory, confusionMatrix, imageGrid, heatmapOverlay, report. */
export const vis = { plotModel, plotHistory, confusionMatrix, imageGrid, heatmapOverlay, report };

export type { PlotModelOptions } from './plot-model';
export type { PlotHistoryOptions, HistoryLike } from './plot-history';
export type { ConfusionMatrixOptions, ClassLabels } from './confusion-matrix';
export type { ImageGridOptions } from './image-grid';
export type { HeatmapOverlayOptions, Colormap } from './heatmap';
export type { ReportOptions } from './report';
