// Packing an entry point's named arguments into its Float64Array block, in the order a layout
// declares (see src/backend/binding.ts and native/binding/layouts.h).
//
// A layout is a list of field names; a field written "name[count]" is a tail array whose length is
// the value of the fixed field `count`. Every tail follows the fixed fields, back to back.

/** The values a packer takes: a number per fixed field, an array per tail field. */
export type FieldValues = Readonly<Record<string, number | ArrayLike<number>>>;
export type Packer = (values: FieldValues) => Float64Array;

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

interface Parsed {
  fixed: string[];
  tails: string[];
  count: string | null;
}

/** Splits a layout into fixed and tail fields, rejecting lists the packers cannot write. */
export function parseLayout(name: string, fields: readonly string[]): Parsed {
  const fixed: string[] = [];
  const tails: string[] = [];
  let count: string | null = null;
  for (const field of fields) {
    const m = /^(.*)\[(.*)\]$/.exec(field);
    const base = m ? m[1]! : field;
    if (!identifier.test(base) || (m && !identifier.test(m[2]!))) throw new Error(`layout '${name}': bad field name '${field}'`);
    if (!m) {
      if (tails.length > 0) throw new Error(`layout '${name}': fixed field '${field}' follows a tail`);
      fixed.push(base);
      continue;
    }
    if (count !== null && m[2] !== count) throw new Error(`layout '${name}': tails of different lengths '${count}' and '${m[2]}'`);
    if (!fixed.includes(m[2]!)) throw new Error(`layout '${name}': tail length '${m[2]}' is not a fixed field`);
    count = m[2]!;
    tails.push(base);
  }
  return { fixed, tails, count };
}

// One block serves every call: kernel calls run synchronously on the JS thread, and the async entry
// points read their block before returning. It only grows (for long tails).
const shared = { block: new Float64Array(64) };

function blockOf(length: number): Float64Array {
  if (length > shared.block.length) shared.block = new Float64Array(Math.max(length, 2 * shared.block.length));
  return shared.block;
}

/**
 * A function writing its argument's fields into the shared block in the layout's order. It is
 * generated code when the runtime allows (`s[0] = v.xOffset; s[1] = v.yOffset; ...`): each packer
 * then reads a fixed set of named properties, so V8 inlines it at the call site and never allocates
 * the object literal the call site passes (~3 ns a call, as fast as writing indices by hand). The
 * generic loop (`codegen` false, or where code generation from strings is disabled) reads the
 * property names from a list, which makes every read a megamorphic lookup (~30 ns a call).
 */
export function makePacker(name: string, fields: readonly string[], codegen = true): Packer {
  const { fixed, tails, count } = parseLayout(name, fields);
  blockOf(fixed.length);
  if (codegen) {
    try {
      return generated(fixed, tails, count);
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
    }
  }
  return (v) => {
    const n = count === null ? 0 : (v[count] as number);
    const s = blockOf(fixed.length + tails.length * n);
    for (let i = 0; i < fixed.length; i++) s[i] = v[fixed[i]!] as number;
    let p = fixed.length;
    for (const t of tails) {
      const a = v[t] as ArrayLike<number>;
      for (let i = 0; i < n; i++) s[p + i] = a[i]!;
      p += n;
    }
    return s;
  };
}

function generated(fixed: readonly string[], tails: readonly string[], count: string | null): Packer {
  // Names were checked to be identifiers by parseLayout, so they are safe to splice into source.
  const lines: string[] = [];
  if (count === null) {
    lines.push('const s = shared.block;');
  } else {
    lines.push(`const n = v.${count};`, `const s = blockOf(${fixed.length} + ${tails.length} * n);`);
  }
  fixed.forEach((f, i) => lines.push(`s[${i}] = v.${f};`));
  if (tails.length > 0) lines.push(`let p = ${fixed.length};`);
  for (const t of tails) lines.push(`{ const a = v.${t}; for (let i = 0; i < n; i++) s[p + i] = a[i]; p += n; }`);
  lines.push('return s;');
  const factory = new Function('blockOf', 'shared', `'use strict'; return function pack(v) {\n${lines.join('\n')}\n};`);
  return factory(blockOf, shared) as Packer;
}
