// The named argument layouts of the addon's optimizer entry points, declared with the same names
// as native/binding/optimizer_layouts.h. The addon publishes its names (addon.optimizerLayouts);
// checkOptimizerLayouts compares them with these before the first fused update, so a binary whose
// fields differ is never fed a misread meta.

/** Fields every optimizerStep meta starts with. */
export const STEP_COMMON_FIELDS = ['paramOffset', 'gradOffset', 'n', 'lr', 'gradScale', 'clipValue', 'decay'] as const;

/**
 * Per fused kind: its own hyper-parameter fields (after the common ones; flags are 0 or 1) and the
 * state arrays it takes in argument order, named as the optimizers name their slots.
 */
export const FUSED_KINDS = {
  sgd: { fields: ['momentum', 'nesterov'], slots: ['momentum'] },
  adagrad: { fields: ['epsilon'], slots: ['accumulator'] },
  rmsprop: {
    fields: ['rho', 'oneMinusRho', 'momentum', 'centered', 'epsilon'],
    slots: ['velocity', 'momentum', 'average_gradient'],
  },
  adam: {
    fields: ['oneMinusBeta1', 'oneMinusBeta2', 'epsilon', 'alpha', 'amsgrad'],
    slots: ['momentum', 'velocity', 'velocity_hat'],
  },
} as const;

/** Fields of the optimizerSumSquares meta. */
export const SUM_SQUARES_FIELDS = ['offset', 'n'] as const;

/** An update rule the native kernel implements. */
export type FusedKind = keyof typeof FUSED_KINDS;

/** The hyper-parameters of one fused kind by name, as an optimizer fills them for a step. */
export type FusedHyperparameters<K extends FusedKind> = { -readonly [F in (typeof FUSED_KINDS)[K]['fields'][number]]: number };

/** What the addon publishes as `optimizerLayouts`. */
export interface PublishedOptimizerLayouts {
  step: Record<string, { fields: string[]; slots: string[] }>;
  sumSquares: string[];
}

/** The full optimizerStep field list of a kind (common fields first), as the addon lists it. */
export function stepFields(kind: FusedKind): readonly string[] {
  return [...STEP_COMMON_FIELDS, ...FUSED_KINDS[kind].fields];
}

function sameNames(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

function list(a: unknown): string {
  return Array.isArray(a) ? `[${a.join(', ')}]` : String(a);
}

/**
 * Compares the layouts an addon publishes with the ones declared here. Returns null when every
 * kind this file declares is published with the same fields and slots (the addon may know more
 * kinds), else the first difference, in words.
 */
export function checkOptimizerLayouts(published: unknown, kinds: unknown): string | null {
  if (typeof published !== 'object' || published === null) return 'the addon publishes no optimizerLayouts';
  const p = published as Partial<PublishedOptimizerLayouts>;
  if (!sameNames(p.sumSquares, SUM_SQUARES_FIELDS)) {
    return `optimizerSumSquares fields are ${list(p.sumSquares)}, expected [${SUM_SQUARES_FIELDS.join(', ')}]`;
  }
  for (const kind of Object.keys(FUSED_KINDS) as FusedKind[]) {
    if (!Array.isArray(kinds) || !kinds.includes(kind)) return `the addon has no '${kind}' optimizer kind`;
    const entry = p.step?.[kind];
    const fields = stepFields(kind);
    if (!sameNames(entry?.fields, fields)) return `'${kind}' fields are ${list(entry?.fields)}, expected [${fields.join(', ')}]`;
    const slots = FUSED_KINDS[kind].slots;
    if (!sameNames(entry?.slots, slots)) return `'${kind}' slots are ${list(entry?.slots)}, expected [${slots.join(', ')}]`;
  }
  return null;
}
