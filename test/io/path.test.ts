// file:// URLs wherever a path is taken, and unknown schemes refused instead of becoming folders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { callbacks, exportOnnx, layers, loadModel, readCsv, readCsvSync, readIdx, readOnnxModel, sequential, summary, tensor, vis } from '../../src';
import { toFsPath } from '../../src/io/path';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-path-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('toFsPath', () => {
  it('reads file:// strings as tfjs-node does and file: URL objects as Node does', () => {
    expect(toFsPath('f', 'p', 'file:///tmp/a/model.json')).toBe('/tmp/a/model.json');
    expect(toFsPath('f', 'p', 'file://./data.csv')).toBe('./data.csv');
    expect(toFsPath('f', 'p', 'file://trainedModel')).toBe('trainedModel');
    expect(toFsPath('f', 'p', 'FILE:///x')).toBe('/x');
    expect(toFsPath('f', 'p', pathToFileURL('/tmp/b c'))).toBe('/tmp/b c');
    expect(toFsPath('f', 'p', 'plain/relative')).toBe('plain/relative');
    expect(toFsPath('f', 'p', 'weird:name')).toBe('weird:name');
  });

  it('refuses other schemes, naming the function, argument and scheme', () => {
    expect(() => toFsPath('save', 'dir', 'http://example.com/m')).toThrow("save: dir 'http://example.com/m' uses the 'http://' scheme");
    expect(() => toFsPath('f', 'p', 'indexeddb://my-model')).toThrow(/'indexeddb:\/\/' scheme/);
    expect(() => toFsPath('f', 'p', new URL('https://x.org/a'))).toThrow(/'https:\/\/' scheme/);
    expect(() => toFsPath('f', 'p', 'file://')).toThrow(/a file:\/\/ URL with a path/);
    expect(() => toFsPath('f', 'p', 42)).toThrow(/argument 'p' expected a file path or a file:\/\/ URL, got 42/);
  });
});

describe('file:// across the library', () => {
  it('model.save / loadModel', async () => {
    const m = sequential([layers.dense({ inputShape: [2], units: 1 })]);
    const dir = path.join(tmp, 'saved');
    await m.save(`file://${dir}`);
    expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(true);
    expect(fs.existsSync('file:')).toBe(false);
    const back = await loadModel(`file://${dir}`);
    expect(Array.from(back.getWeights()[0]!.dataSync())).toEqual(Array.from(m.getWeights()[0]!.dataSync()));
    await expect(m.save('foo://bar')).rejects.toThrow(/'foo:\/\/' scheme/);
    expect(fs.existsSync('foo:')).toBe(false);
    await expect(loadModel('http://example.com/m')).rejects.toThrow(/'http:\/\/' scheme/);
  });

  it('readCsv, readCsvSync and readIdx', async () => {
    const csv = path.join(tmp, 'd.csv');
    fs.writeFileSync(csv, 'a,b\n1,2\n3,4\n');
    expect((await readCsv(`file://${csv}`)).features.arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(readCsvSync(pathToFileURL(csv)).features.shape).toEqual([2, 2]);
    await expect(readCsv('http://example.com/d.csv')).rejects.toThrow(/'http:\/\/' scheme/);
    const idx = path.join(tmp, 'x.idx');
    fs.writeFileSync(idx, Buffer.from([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]));
    expect(Array.from((await readIdx(`file://${idx}`)).dataSync())).toEqual([7, 8, 9]);
  });

  it('summary writers and the tensorBoard callback', () => {
    const dir = path.join(tmp, 'logs');
    const w = summary.createFileWriter(`file://${dir}`);
    w.scalar('x', 1, 0);
    w.close();
    expect(fs.readdirSync(dir).some((f) => f.startsWith('events.out.tfevents'))).toBe(true);
    expect(() => summary.createFileWriter('s3://bucket/logs')).toThrow(/'s3:\/\/' scheme/);
    expect(() => callbacks.tensorBoard(`gs://bucket/logs`)).toThrow(/'gs:\/\/' scheme/);
    expect(tensor([1]).size).toBe(1);
  });

  it('vis outputs, ONNX export/read and the CSV logger', async () => {
    const svg = path.join(tmp, 'plots', 'h.svg');
    await vis.plotHistory({ loss: [1, 0.5] }, `file://${svg}`);
    expect(fs.readFileSync(svg, 'utf8')).toMatch(/^<svg/);
    await expect(vis.plotHistory({ loss: [1] }, 'ftp://x/h.svg')).rejects.toThrow(/'ftp:\/\/' scheme/);
    const m = sequential([layers.dense({ inputShape: [2], units: 1 })]);
    const onnx = path.join(tmp, 'm.onnx');
    await exportOnnx(m, `file://${onnx}`);
    expect(readOnnxModel(`file://${onnx}`).graph.inputs.length).toBe(1);
    await expect(exportOnnx(m, 'http://x/m.onnx')).rejects.toThrow(/'http:\/\/' scheme/);
    const log = path.join(tmp, 'log.csv');
    const logger = callbacks.csvLogger(`file://${log}`);
    await logger.onTrainBegin!();
    await logger.onEpochEnd!(0, { loss: 1 });
    expect(fs.readFileSync(log, 'utf8')).toMatch(/^epoch,loss/);
  });
});
