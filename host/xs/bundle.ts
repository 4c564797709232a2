// Bundles an entry file (TypeScript, ESM) into one classic script for XS:
// the xsnap worker evaluates scripts, it has no module loader. The bundle is
// platform neutral; any Node built-in reaching it is an error, because the
// same core must later run on the device.

import { build, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface BundleOptions {
  minify?: boolean;
  /** Extra `define` substitutions. */
  define?: Record<string, string>;
}

export interface Bundle {
  code: string;
  /** Byte length of the UTF-8 code. */
  bytes: number;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.split('/')[0];
      if (args.path.startsWith('node:') || builtins.has(args.path) || builtins.has(bare)) {
        return { errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer}: not allowed in the XS bundle` }] };
      }
      return undefined;
    });
  },
};

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Bundle `entry` (absolute path or relative to the repo root) into an IIFE script string. */
export async function bundleForXs(entry: string, opts: BundleOptions = {}): Promise<Bundle> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    minify: opts.minify ?? false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    define: opts.define,
    plugins: [noNodeBuiltins],
  });
  const code = result.outputFiles[0].text;
  return { code, bytes: result.outputFiles[0].contents.length };
}
