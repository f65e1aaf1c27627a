// Interpretation methods (`tf.explain`): attributions of a model's output to its input features,
// and the attention weights of its attention layers. All take models built here and ONNX imports
// alike, run in inference mode, and yield to the event loop between passes.
import { saliency } from './saliency';
import { integratedGradients } from './integrated-gradients';
import { gradCam } from './grad-cam';
import { occlusion } from './occlusion';
import { permutationImportance } from './permutation-importance';
import { attentionMaps } from './attention-maps';

/** Interpretation methods: saliency, integrated gradients, Grad-CAM, occlusion, permutation importance, attention maps. */
export const explain = { saliency, integratedGradients, gradCam, occlusion, permutationImportance, attentionMaps };

export type { ClassIndex, ExplainTarget } from './target';
export type { ExplainDataFormat } from './spatial';
export type { SaliencyOptions, SmoothGradOptions } from './saliency';
export type { IntegratedGradientsOptions } from './integrated-gradients';
export type { GradCamOptions } from './grad-cam';
export type { OcclusionOptions } from './occlusion';
export type { PermutationImportanceOptions, PermutationImportance, ImportanceMetric } from './permutation-importance';
export type { AttentionMapsOptions } from './attention-maps';
