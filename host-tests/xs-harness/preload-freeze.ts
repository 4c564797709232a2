// What the Moddable linker's preload does to a firmware, done to an XS bundle
// on the host, so that code which only breaks on a device breaks in `npm test`:
//  - the built-in prototypes and namespaces are frozen (xsl.c
//    fxFreezeBuiltIns: Error.prototype, Object.prototype, Array.prototype,
//    Math, JSON …): in strict code, assigning a property whose name an
//    inherited frozen property has (`this.name = …` in an Error subclass)
//    throws "set name: not writable" — "the override mistake";
//  - every function a preloaded module made is frozen, and so is the
//    prototype of every constructor (xslSlot.c fxPrepareHeap: "freeze
//    functions and prototypes"): a module's class can get no static property
//    and no prototype property at run time.
// The built-ins are frozen before the bundle runs (stricter than the device,
// where a preloaded module could still change them while it loads: the core
// must not). A module's classes and functions are frozen once the module has
// loaded, as preload leaves them.
import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';

/** Freezes what fxFreezeBuiltIns freezes, as far as script can reach it. Runs before the bundle. */
export const FREEZE_BUILTINS = `(function freezeBuiltIns() {
  "use strict";
  const g = globalThis;
  const proto = Object.getPrototypeOf;
  const list = [g.Atomics, g.JSON, g.Math, g.Reflect];
  for (const name of ["AggregateError", "ArrayBuffer", "Array", "BigInt", "Boolean", "Compartment", "DataView", "Date", "Error",
    "EvalError", "FinalizationRegistry", "Function", "Map", "Number", "Object", "Promise", "RangeError", "ReferenceError", "RegExp",
    "Set", "SharedArrayBuffer", "String", "Symbol", "SyntaxError", "TypeError", "URIError", "WeakMap", "WeakRef", "WeakSet",
    "SuppressedError", "DisposableStack", "AsyncDisposableStack", "Iterator",
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
    "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "Float16Array"]) {
    const C = g[name];
    if (typeof C === "function" && C.prototype) list.push(C.prototype);
  }
  const sloppyArguments = Function("return arguments")();
  const strictArguments = (function () { "use strict"; return arguments; })();
  const asyncFunction = async function () {};
  const generator = function* () {};
  const asyncGenerator = async function* () {};
  list.push(
    proto(sloppyArguments), proto(strictArguments),
    proto([][Symbol.iterator]()), proto(new Map().entries()), proto(new Set().values()), proto(""[Symbol.iterator]()),
    proto(/a/[Symbol.matchAll]("a")),
    proto(asyncFunction), proto(generator), proto(generator).prototype, proto(proto(generator).prototype),
    proto(asyncGenerator), proto(asyncGenerator).prototype, proto(proto(asyncGenerator).prototype),
    proto(Uint8Array.prototype),
    Array.prototype[Symbol.unscopables],
  );
  for (const o of list) if (o !== null && o !== undefined) Object.freeze(o);
})();
`;

/** Freezes a loaded module's functions and classes (their statics, prototypes and methods), as preload leaves them. */
export const PRELOAD_FREEZE = `globalThis.__xsPreloadFreeze = function (values) {
  "use strict";
  const seen = new WeakSet();
  function freezeFunction(f) {
    if (typeof f !== "function" || seen.has(f)) return;
    seen.add(f);
    for (const key of Reflect.ownKeys(f)) {
      const d = Object.getOwnPropertyDescriptor(f, key);
      if (d && typeof d.value === "function" && key !== "prototype") freezeFunction(d.value);
    }
    const p = Object.getOwnPropertyDescriptor(f, "prototype");
    if (p && p.value !== null && typeof p.value === "object") {
      for (const key of Reflect.ownKeys(p.value)) {
        const d = Object.getOwnPropertyDescriptor(p.value, key);
        if (!d) continue;
        if (typeof d.value === "function" && key !== "constructor") freezeFunction(d.value);
        if (d.get) freezeFunction(d.get);
        if (d.set) freezeFunction(d.set);
      }
      Object.freeze(p.value);
    }
    Object.freeze(f);
  }
  for (const v of values) freezeFunction(v);
  // Kept so a test can reach every class of the core, exported or not.
  (globalThis.__xsPreloaded ??= []).push(...values);
};
`;

const CLASS = /^(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)/gm;
const FUNCTION = /^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/gm;

/** The top-level class and function declarations of a module's source (what preload would freeze by name). */
export function topLevelCallables(source: string): string[] {
  const names = new Set<string>();
  for (const re of [CLASS, FUNCTION]) {
    re.lastIndex = 0;
    for (let m = re.exec(source); m !== null; m = re.exec(source)) names.add(m[1]!);
  }
  return [...names];
}

/** esbuild plugin: each firmware module ends by freezing its own classes and functions. */
export const preloadFreezePlugin: Plugin = {
  name: 'preload-freeze',
  setup(b) {
    b.onLoad({ filter: /[\\/]firmware[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const names = topLevelCallables(source);
      if (names.length === 0) return { contents: source, loader: 'ts' };
      return { contents: `${source}\n;(globalThis as any).__xsPreloadFreeze?.([${names.join(', ')}]);\n`, loader: 'ts' };
    });
  },
};
