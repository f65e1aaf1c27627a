import { describe, expect, it } from 'vitest';
import { manualSeed, tensor, type Tensor } from '../../src';
import { Dataset, type DataElement } from '../../src/data';

// Row i of x is [i, 10 i]; y[i] = i, so a batch is consistent when x[:, 0] equals y.
const n = 7;
const x = tensor(Array.from({ length: n }, (_, i) => [i, 10 * i]));
const y = tensor(Array.from({ length: n }, (_, i) => i), [n], 'int32');

async function ids(ds: Dataset<DataElement>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const { x: bx, y: by } of ds) {
    const rows = bx.toArray() as number[][] | number[];
    const first = (Array.isArray(rows[0]) ? (rows as number[][]).map((r) => r[0]!) : [(rows as number[])[0]!]);
    const labels = by!.toArray();
    expect(first).toEqual(Array.isArray(labels) ? labels : [labels]);
    out.push(first);
  }
  return out;
}

describe('Dataset', () => {
  it('yields rows unbatched and batches of { x, y } with a leading batch axis', async () => {
    const rows = await Dataset.fromTensors(x, y).toArray();
    expect(rows.length).toBe(7);
    expect(rows[3]!.x.shape).toEqual([2]);
    expect(rows[3]!.x.toArray()).toEqual([3, 30]);
    expect(rows[3]!.y!.shape).toEqual([]);
    expect(rows[3]!.y!.item()).toBe(3);

    const ds = Dataset.fromTensors(x, y).batch(3);
    expect(ds.size).toBe(3);
    expect(ds.batchSize).toBe(3);
    expect(ds.batchCount).toBe(3);
    const batches = await ds.toArray();
    expect(batches.map((b) => b.x.shape)).toEqual([[3, 2], [3, 2], [1, 2]]);
    expect(batches.map((b) => b.y!.dtype)).toEqual(['int32', 'int32', 'int32']);
    expect(batches[1]!.x.toArray()).toEqual([[3, 30], [4, 40], [5, 50]]);
    expect(batches[2]!.y!.toArray()).toEqual([6]);
  });

  it('drops the short last batch on request and works without y', async () => {
    const ds = Dataset.fromTensors(x).batch(3, { dropRemainder: true });
    expect(ds.batchCount).toBe(2);
    const batches = await ds.toArray();
    expect(batches.length).toBe(2);
    expect(batches[0]!.y).toBeUndefined();
    expect(Object.keys(batches[0]!)).toEqual(['x']);
  });

  it('shuffle(true) is a full permutation each pass, repeatable by seed, fresh per pass', async () => {
    const ds = Dataset.fromTensors(x, y).shuffle(true, 42).batch(4);
    const pass1 = (await ids(ds)).flat();
    const pass2 = (await ids(ds)).flat();
    expect(pass1.slice().sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pass2.slice().sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pass2).not.toEqual(pass1);
    const again = Dataset.fromTensors(x, y).shuffle(true, 42).batch(4);
    expect((await ids(again)).flat()).toEqual(pass1);
    expect((await ids(again)).flat()).toEqual(pass2);
  });

  it('unseeded shuffles follow manualSeed', async () => {
    const ds = Dataset.fromTensors(x, y).shuffle(3).batch(7);
    manualSeed(9);
    const a = await ids(ds);
    manualSeed(9);
    expect(await ids(ds)).toEqual(a);
    expect(a[0]!.slice().sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('a buffer of 1 keeps the order; a small buffer only moves elements forward within reach', async () => {
    expect((await ids(Dataset.fromTensors(x, y).shuffle(1, 3).batch(7))).flat()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const order = (await ids(Dataset.fromTensors(x, y).shuffle(2, 3).batch(7))).flat();
    // With a buffer of 2, output position p holds one of the first p + 2 elements.
    order.forEach((v, p) => expect(v).toBeLessThanOrEqual(p + 1));
  });

  it('take, skip and repeat work on rows and on batches, with sizes', async () => {
    const base = Dataset.fromTensors(x, y);
    expect(base.take(3).size).toBe(3);
    expect((await ids(base.take(3).batch(2))).flat()).toEqual([0, 1, 2]);
    expect((await ids(base.skip(5).batch(2)))).toEqual([[5, 6]]);
    const rep = base.repeat(2).batch(5);
    expect(rep.size).toBe(3);
    expect(await ids(rep)).toEqual([[0, 1, 2, 3, 4], [5, 6, 0, 1, 2], [3, 4, 5, 6]]);
    const forever = base.batch(4).repeat();
    expect(forever.size).toBe(Infinity);
    expect(await ids(forever.take(4))).toEqual([[0, 1, 2, 3], [4, 5, 6], [0, 1, 2, 3], [4, 5, 6]]);
    expect(await ids(base.batch(4).skip(1))).toEqual([[4, 5, 6]]);
    await expect(forever.toArray()).rejects.toThrow(/repeats forever/);
  });

  it('map transforms each batch (sync or async) and keeps the batch count', async () => {
    const ds = Dataset.fromTensors(x, y)
      .batch(4)
      .map(async ({ x: bx, y: by }) => ({ x: bx.mul(2), y: by }));
    expect(ds.batchCount).toBe(2);
    const out = await ds.toArray();
    expect(out[1]!.x.toArray()).toEqual([[8, 80], [10, 100], [12, 120]]);
  });

  it('map before batch stacks the mapped rows', async () => {
    const ds = Dataset.fromTensors(x, y).map(({ x: r, y: l }) => ({ x: r.add(1), y: l })).batch(5);
    const out = await ds.toArray();
    expect(out.map((b) => b.x.shape)).toEqual([[5, 2], [2, 2]]);
    expect(out[1]!.x.toArray()).toEqual([[6, 51], [7, 61]]);
    expect(out[1]!.y!.toArray()).toEqual([5, 6]);
  });

  it('fromArrays and fromIterable', async () => {
    const a = await Dataset.fromArrays([[1, 2], [3, 4], [5, 6]], new Int32Array([0, 1, 0])).batch(2).toArray();
    expect(a[0]!.x.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(a[0]!.y!.dtype).toBe('int32');
    function* gen(): Generator<{ x: Tensor }> {
      for (let i = 0; i < 5; i++) yield { x: tensor([i, -i]) };
    }
    const ds = Dataset.fromIterable(gen, 5).batch(2);
    expect(ds.batchCount).toBe(3);
    const b = await ds.toArray();
    expect(b.map((e) => e.x.toArray())).toEqual([[[0, -0], [1, -1]], [[2, -2], [3, -3]], [[4, -4]]]);
    // Re-iterable: a second pass calls the generator function again.
    expect((await ds.toArray()).length).toBe(3);
    const shuffled = await Dataset.fromIterable([1, 2, 3, 4, 5, 6]).shuffle(6, 1).batch(6).toArray();
    expect((shuffled[0] as unknown as Tensor).toArray()).not.toEqual([1, 2, 3, 4, 5, 6]);
    expect(((shuffled[0] as unknown as Tensor).toArray() as number[]).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('explains bad arguments', () => {
    expect(() => Dataset.fromTensors(x, tensor([1, 2]))).toThrow(/Dataset.fromTensors: argument 'y' expected 7 rows like x/);
    expect(() => Dataset.fromTensors(x).batch(0)).toThrow(/Dataset.batch: argument 'size' expected an integer >= 1, got 0/);
    expect(() => Dataset.fromTensors(x).repeat().shuffle(true)).toThrow(/shuffle\(true\) needs a dataset of known, finite size/);
    expect(() => Dataset.fromTensors(x).shuffle(0)).toThrow(/argument 'bufferSize' expected an integer >= 1/);
  });
});

describe('Dataset.filter, concatenate, zip and prefetch', () => {
  const numbers = (k: number) => Dataset.fromIterable(() => Array.from({ length: k }, (_, i) => i), k);

  it('filter keeps the elements the (async) predicate accepts; the size becomes unknown', async () => {
    const even = numbers(7).filter(async (v) => v % 2 === 0);
    expect(await even.toArray()).toEqual([0, 2, 4, 6]);
    expect(even.size).toBeUndefined();
    const rows = Dataset.fromTensors(x, y).filter((e) => e.y!.item() > 4).batch(4);
    const batches = await rows.toArray();
    expect(batches.map((b) => Array.from(b.y!.dataSync()))).toEqual([[5, 6]]);
    expect(() => numbers(2).filter(3 as never)).toThrow(/Dataset.filter: argument 'predicate' expected a function/);
  });

  it('concatenate appends one dataset after another, every pass', async () => {
    const both = numbers(3).concatenate(numbers(2).map((v) => v + 10));
    expect(both.size).toBe(5);
    expect(await both.toArray()).toEqual([0, 1, 2, 10, 11]);
    expect(await both.toArray()).toEqual([0, 1, 2, 10, 11]);
  });

  it('zip pairs by position (array or object form) and stops at the shortest', async () => {
    expect(await Dataset.zip([numbers(3), numbers(5).map((v) => `s${v}`)]).toArray()).toEqual([[0, 's0'], [1, 's1'], [2, 's2']]);
    const features = Dataset.fromIterable(() => [tensor([1, 2]), tensor([3, 4])], 2);
    const labels = Dataset.fromIterable(() => [tensor(0), tensor(1)], 2);
    const zipped = Dataset.zip({ x: features, y: labels });
    expect(zipped.size).toBe(2);
    const batched = await zipped.batch(2).toArray();
    expect(batched[0]!.x.shape).toEqual([2, 2]);
    expect(Array.from(batched[0]!.y.dataSync())).toEqual([0, 1]);
    expect(() => Dataset.zip([numbers(1), [1, 2] as never])).toThrow(/Dataset.zip: argument 'datasets\[1\]' expected a Dataset/);
  });

  it('zip of datasets feeds fit as { x, y } batches', async () => {
    const { sequential, layers } = await import('../../src');
    manualSeed(2);
    const model = sequential([layers.dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const ds = Dataset.zip({ x: Dataset.fromTensors(x).map((e) => e.x), y: Dataset.fromTensors(tensor(Array.from({ length: n }, (_, i) => i))).map((e) => e.x) }).batch(4);
    const h = await model.fit(ds, { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history['loss']![0]!)).toBe(true);
  });

  it('prefetch asks for the next elements while the current one is being used, without changing them', async () => {
    const log: string[] = [];
    const source = Dataset.fromIterable(async function* () {
      for (let i = 0; i < 4; i++) {
        log.push(`make ${i}`);
        await new Promise((r) => setTimeout(r, 1));
        yield i;
      }
    }, 4);
    const seen: number[] = [];
    for await (const v of source.prefetch(2)) {
      log.push(`use ${v}`);
      // The consumer's own async work (a training step awaiting callbacks, say).
      await new Promise((r) => setTimeout(r, 5));
      seen.push(v);
    }
    expect(seen).toEqual([0, 1, 2, 3]);
    // Element 1 is already being made before element 0 has been used up, and 2 before 1 is used.
    expect(log.indexOf('make 1')).toBeLessThan(log.indexOf('use 0') + 1);
    expect(log.indexOf('make 2')).toBeLessThan(log.indexOf('use 1'));
    expect(source.prefetch(3).size).toBe(4);
    expect(() => source.prefetch(0)).toThrow(/Dataset.prefetch: argument 'bufferSize' expected an integer >= 1/);
  });

  it('prefetch overlaps a slow producer with a slow consumer', async () => {
    const slow = Dataset.fromIterable(async function* () {
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 20));
        yield i;
      }
    }, 6);
    const consume = async (ds: Dataset<number>): Promise<number> => {
      const t0 = Date.now();
      for await (const _ of ds) await new Promise((r) => setTimeout(r, 20));
      return Date.now() - t0;
    };
    const serial = await consume(slow);
    const overlapped = await consume(slow.prefetch(2));
    // 6 x (20 + 20) ms serially; about 6 x 20 ms overlapped.
    expect(overlapped).toBeLessThan(serial * 0.8);
  });

  it('an error in the source surfaces at its element through prefetch', async () => {
    const broken = Dataset.fromIterable(async function* () {
      yield 1;
      throw new Error('disk gone');
    });
    const got: number[] = [];
    await expect((async () => {
      for await (const v of broken.prefetch(3)) got.push(v);
    })()).rejects.toThrow(/disk gone/);
    expect(got).toEqual([1]);
  });
});
