// What a newcomer meets before any code runs: `npm install` on the Node
// version package.json promises prints no EBADENGINE warning (every locked
// package admits that version), and the licence package.json names is there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const json = (file: string) => JSON.parse(readFileSync(new URL(file, root), 'utf8')) as Record<string, unknown>;

type Version = [number, number, number];

function parse(v: string): Version {
  const [a = 0, b = 0, c = 0] = v
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10));
  return [a, b, c];
}
const cmp = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether `v` satisfies one comparator of an npm engines range: *, 20, 20.9, ^20.9, >=18, >= 20.19.0, <21. */
function comparator(c: string, v: Version): boolean {
  if (c === '*' || c === 'x' || c === '') return true;
  const m = /^(\^|~|>=|<=|>|<|=)?\s*v?(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?$/.exec(c);
  if (!m) throw new Error(`engines range part not understood: "${c}"`);
  const [, op = '', maj, min, pat] = m;
  const base = parse(`${maj}.${min === 'x' ? 0 : (min ?? 0)}.${pat === 'x' ? 0 : (pat ?? 0)}`);
  const d = cmp(v, base);
  switch (op) {
    case '>=':
      return d >= 0;
    case '>':
      return d > 0;
    case '<=':
      return d <= 0;
    case '<':
      return d < 0;
    case '^':
      return d >= 0 && v[0] === base[0];
    case '~':
      return d >= 0 && v[0] === base[0] && (min === undefined || v[1] === base[1]);
    default: // a bare (partial) version: that major, or that major.minor
      return (
        d >= 0 &&
        v[0] === base[0] &&
        (min === undefined || min === 'x' || v[1] === base[1]) &&
        (pat === undefined || pat === 'x' || v[2] === base[2])
      );
  }
}

function satisfies(range: string, version: string): boolean {
  const v = parse(version);
  return range.split('||').some((alt) => {
    const parts = alt
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/);
    return parts.every((p) => comparator(p, v));
  });
}

describe('package: install and licence', () => {
  const pkg = json('package.json') as { engines: { node: string }; license: string };
  const lowest = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines.node)?.[1];

  it('the engines range reads as "this version or newer"', () => {
    assert.ok(lowest, `engines.node is ${pkg.engines.node}`);
    assert.ok(satisfies('^20.9 || ^22.11', '20.19.0') && !satisfies('>=22', '20.19.0') && satisfies('18 || 20 || >=22', '20.19.0'));
    assert.ok(satisfies('>= 20.19.0', '20.19.0') && !satisfies('20 || >=22', '21.1.0') && satisfies('>=16 || 14 >=14.17', '20.19.0'));
  });

  it('every package in the lockfile admits the lowest Node that engines promises (no EBADENGINE at npm install)', () => {
    const lock = json('package-lock.json') as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !satisfies(p.engines.node, lowest!))
      .map(([where, p]) => `${where.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    assert.deepEqual(refusing, [], `on node ${lowest}`);
  });

  it('the Node running the tests is one engines admits', () => {
    assert.ok(satisfies(pkg.engines.node, process.version), `${process.version} against ${pkg.engines.node}`);
  });

  it('LICENSE is the MIT licence package.json names', () => {
    assert.equal(pkg.license, 'MIT');
    const text = readFileSync(new URL('LICENSE', root), 'utf8');
    assert.match(text, /^MIT License\n\nCopyright \(c\) \d{4} /);
    assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
  });
});
