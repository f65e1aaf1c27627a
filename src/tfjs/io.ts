// tfjs's `tf.io` for Node: file:// handlers reading and writing model.json + weights.bin, and the
// in-memory handlers (fromMemory, withSaveHandler).
import { argError, describe } from '../errors';
import type { KerasTopology } from '../io/tfjs-format-config';
import type { TfjsModelArtifacts } from '../io/tfjs-format-load';
import { type TfjsArtifacts, TFJS_MODEL_FILE, writeTfjsArtifacts } from '../io/tfjs-format-save';
import type { WeightSpec } from '../io/tfjs-format-weights';
import { toFsPath } from '../io/path';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A tfjs IOHandler: `load` for loadLayersModel, `save` for model.save. */
export interface IOHandler {
  load?: () => Promise<TfjsModelArtifacts>;
  save?: (artifacts: TfjsArtifacts) => Promise<SaveResult>;
}

/** What a save handler resolves to. */
export interface SaveResult {
  modelArtifactsInfo: { dateSaved: Date; modelTopologyType: 'JSON' };
}

function info(): SaveResult {
  return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
}

/** Reads model.json and its shards into ModelArtifacts (one weightData buffer). */
async function readArtifacts(file: string): Promise<TfjsModelArtifacts> {
  const json = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { modelTopology: KerasTopology; weightsManifest?: { paths: string[]; weights: WeightSpec[] }[]; format?: string };
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const g of json.weightsManifest ?? []) {
    specs.push(...g.weights);
    for (const p of g.paths) parts.push(await fs.promises.readFile(path.resolve(path.dirname(file), p)));
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) data.set(p, o), (o += p.byteLength);
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer, format: json.format };
}

/**
 * `tf.io.fileSystem(path)`: saves to a directory (model.json + weights.bin) and loads from a
 * model.json path (or its directory). `path` may be a `file://` URL.
 */
export function fileSystem(location: string | URL): IOHandler & { path: string } {
  const p = path.resolve(toFsPath('io.fileSystem', 'path', location));
  return {
    path: p,
    async save(artifacts) {
      await writeTfjsArtifacts(artifacts, p, 'io.fileSystem');
      return info();
    },
    async load() {
      const file = fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, TFJS_MODEL_FILE) : p;
      return readArtifacts(file);
    },
  };
}

/** tfjs-node registers fileSystem as the handler of file:// URLs; this returns it for such a URL. */
export function getSaveHandlers(url: string): IOHandler[] {
  return [fileSystem(url)];
}
export const getLoadHandlers = getSaveHandlers;

/** `tf.io.fromMemory(artifacts)` or `fromMemory(modelTopology, weightSpecs, weightData)`. */
export function fromMemory(modelArtifacts: TfjsModelArtifacts | KerasTopology, weightSpecs?: WeightSpec[], weightData?: ArrayBuffer): IOHandler {
  const artifacts: TfjsModelArtifacts = weightSpecs || weightData
    ? { modelTopology: modelArtifacts, weightSpecs, weightData }
    : 'modelTopology' in (modelArtifacts as object) ? (modelArtifacts as TfjsModelArtifacts) : { modelTopology: modelArtifacts };
  return { load: async () => artifacts };
}

/** `tf.io.withSaveHandler(fn)`: a handler that passes the artifacts to `fn`. */
export function withSaveHandler(saveHandler: (artifacts: TfjsArtifacts) => Promise<SaveResult> | SaveResult): IOHandler {
  if (typeof saveHandler !== 'function') argError('io.withSaveHandler', 'saveHandler', 'a function', describe(saveHandler));
  return { save: async (a) => saveHandler(a) };
}
