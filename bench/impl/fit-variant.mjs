// The timed unit of the training cases: one fit() epoch over the case's samples, plus a first-batch
// loss for the cross-check. Shared by tensorforge (native and js backends) and tfjs variants.

/** A tensorforge model already compiled, with its data; `enter` selects backend and threads. */
export function tensorforgeFitVariant(enter, model, x, y, batchSize) {
  return {
    enter,
    async: true,
    run: () => model.fit(x, y, { epochs: 1, batchSize, verbose: 0 }),
    once: async () => {
      const r = await model.evaluate(x.slice([0], [batchSize]), y.slice([0], [batchSize]), { batchSize });
      return Float32Array.of(r.loss);
    },
  };
}

/** A tfjs LayersModel already compiled, with its data. */
export function tfjsFitVariant(model, x, y, batchSize) {
  return {
    async: true,
    run: () => model.fit(x, y, { epochs: 1, batchSize, verbose: 0 }),
    once: async () => {
      const r = model.evaluate(x.slice([0], [batchSize]), y.slice([0], [batchSize]));
      const loss = Array.isArray(r) ? r[0] : r;
      return Float32Array.from(await loss.data());
    },
  };
}
