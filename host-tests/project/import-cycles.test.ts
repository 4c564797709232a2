// The core imports in one direction only (the CoAP stack from message up to
// endpoint, formats under the client, the generated table under the model): a
// cycle, even of type-only imports, means two modules know each other and a
// change to one cannot be read without the other.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIRMWARE = resolve(dirname(fileURLToPath(import.meta.url)), '../../firmware');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of each file (type-only ones too), as absolute .ts paths. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      deps.push(`${resolve(dirname(f), m[1]!)}.ts`);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), within `scope`. */
export function importCycles(scope: string): string[][] {
  const graph = importGraph(tsFiles(scope));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const c: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      c.push(relative(FIRMWARE, w));
    } while (w !== v);
    if (c.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(c.sort());
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return cycles;
}

describe('import cycles', () => {
  it('sees a cycle of type-only imports across two files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b';\nexport interface A { b: B }\n");
      writeFileSync(join(dir, 'b.ts'), "import type { A } from './a';\nexport interface B { a?: A }\n");
      writeFileSync(join(dir, 'c.ts'), "import type { A } from './a';\nexport type C = A;\n");
      assert.deepEqual(
        importCycles(dir).map((c) => c.map((f) => f.slice(-4))),
        [['a.ts', 'b.ts']],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the core has no circular imports (coap/ layers, dtls/, lwm2m/ folders, model/, codec/ …)', () => {
    assert.deepEqual(importCycles(FIRMWARE), []);
  });
});
