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
