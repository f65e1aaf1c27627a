// Run-time import cycles in src/: a module in a cycle can see another's exports before they are
// initialized, depending on which module of the cycle is loaded first. Type-only imports vanish from
// the compiled code and are ignored; dynamic import() calls count.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';

const SRC = path.resolve(__dirname, '../src');

/** Cycles allowed outside src/ops/, each as the exact set of files (relative to src/): none now. */
const ALLOWED_CYCLES: string[][] = [];

/**
 * Op modules may form cycles: an op's backward rule is written with other ops (mul's gradient needs
 * sum to undo broadcasting, sum's needs mul), so the op families reference each other inside
 * function bodies. Such a cycle is allowed when it stays inside src/ops/ and every member loads
 * first without error (checked below).
 */
const OPS_DIR = 'ops/';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`${path.relative(SRC, from)}: cannot resolve import '${spec}'`);
}

/** Module specifiers a file loads at run time. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specs: string[] = [];
  const literal = (e: ts.Expression | undefined) => (e && ts.isStringLiteral(e) ? e.text : null);
  for (const st of source.statements) {
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      const onlyTypes = clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((el) => el.isTypeOnly);
      if (!onlyTypes) specs.push(literal(st.moduleSpecifier)!);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      if (st.isTypeOnly) continue;
      const clause = st.exportClause;
      const onlyTypes = clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((el) => el.isTypeOnly);
      if (!onlyTypes) specs.push(literal(st.moduleSpecifier)!);
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const spec = literal(node.arguments[0]);
      if (spec) specs.push(spec);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

/** Strongly connected components with more than one file (Tarjan), as sorted paths relative to src/. */
function importCycles(): string[][] {
  const graph = new Map<string, string[]>();
  for (const f of sourceFiles(SRC)) {
    graph.set(f, runtimeImports(f).map((s) => resolveImport(f, s)).filter((r): r is string => r !== null));
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.map((f) => path.relative(SRC, f).split(path.sep).join('/')).sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return cycles;
}

const isOpsCycle = (c: string[]) => c.every((f) => f.startsWith(OPS_DIR));
const isAllowed = (c: string[]) => isOpsCycle(c) || ALLOWED_CYCLES.some((a) => a.join() === c.join());

describe('import cycles in src/', () => {
  const cycles = importCycles();

  it('the parser sees imports, re-exports and dynamic imports, and skips type-only ones', () => {
    const file = path.join(SRC, 'index.ts');
    expect(runtimeImports(file)).toContain('./ops/tensor-methods');
    expect(runtimeImports(file)).toContain('./layers');
    expect(runtimeImports(path.join(SRC, 'onnx/session/model-source.ts'))).toContain('../export');
    expect(runtimeImports(path.join(SRC, 'onnx/export/converter.ts'))).not.toContain('../../layers/layer');
  });

  it('has no run-time import cycle outside the allowed ones', () => {
    expect(cycles.filter((c) => !isAllowed(c))).toEqual([]);
  });

  it('every module of an allowed ops cycle loads first without error', async () => {
    for (const file of cycles.filter(isOpsCycle).flat()) {
      vi.resetModules();
      const mod = (await import(path.join(SRC, file))) as Record<string, unknown>;
      expect(Object.entries(mod).filter(([, v]) => v === undefined).map(([k]) => `${file}: ${k}`)).toEqual([]);
    }
  });

  it('lists each allowed cycle only while it exists', () => {
    for (const allowed of ALLOWED_CYCLES) expect(cycles).toContainEqual(allowed);
  });
});
