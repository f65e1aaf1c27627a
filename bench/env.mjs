// What the figures were measured on, printed above the table and stored in the JSON: numbers from
// this shared 2-vCPU VM only mean something next to the machine, build and versions they came from.
import os from 'node:os';
import { createRequire } from 'node:module';
import { info as tensorforgeInfo } from './impl/tensorforge.mjs';
import { tfjsVersion } from './impl/tfjs.mjs';
import { ortVersion } from './impl/ort.mjs';
import { forcedGc } from './timing.mjs';

const require = createRequire(import.meta.url);

function pkgVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

export function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cpuCount: cpus.length,
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      loadAvg1m: +os.loadavg()[0].toFixed(2),
    },
    node: process.version,
    tensorforge: tensorforgeInfo(),
    versions: {
      tensorforge: require('../package.json').version,
      tfjs: tfjsVersion(),
      onnxruntimeNode: ortVersion(),
      protobufjs: pkgVersion('protobufjs'),
    },
    forcedGcBetweenBatches: forcedGc,
  };
}

export function formatEnvironment(env, plan, argv, stat = 'median') {
  const t = env.tensorforge;
  const m = env.machine;
  return [
    `tensorforge bench  ${env.date}  (${argv.length ? argv.join(' ') : 'full'}; timing plan '${plan.name}': ` +
      `${plan.batches} batches x ~${plan.batchMs} ms, ${stat} batch reported)`,
    `machine: ${m.cpuModel}, ${m.cpuCount} CPUs, ${m.memoryGiB} GiB, ${m.platform}, load avg ${m.loadAvg1m}`,
    `tensorforge ${env.versions.tensorforge}: backend=${t.backend} simd=${t.simd} hardwareSimd=${t.hardwareSimd} ` +
      `threads=${t.threads} buildHash=${t.buildHash}${t.nativeAvailable ? '' : `  NATIVE UNAVAILABLE: ${String(t.nativeError).split('\n')[0]}`}`,
    `node ${env.node}, @tensorflow/tfjs ${env.versions.tfjs ?? 'missing'} (cpu backend), ` +
      `onnxruntime-node ${env.versions.onnxruntimeNode ?? 'missing'}, protobufjs ${env.versions.protobufjs ?? 'missing'}`,
  ].join('\n');
}
