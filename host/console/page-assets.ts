// The page's files: index.html as it is, and one script and one stylesheet
// bundled by esbuild (the page's TypeScript with uPlot) the first time the
// console starts, in memory, so nothing has to be built beforehand.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const PAGE = fileURLToPath(new URL('./page/', import.meta.url));

export interface Asset {
  type: string;
  body: Uint8Array;
}

let bundle: Promise<Map<string, Asset>> | undefined;

async function build(): Promise<Map<string, Asset>> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: { app: `${PAGE}main.ts` },
    bundle: true,
    write: false,
    outdir: '/console',
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files = new Map<string, Asset>();
  for (const f of r.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/'));
    files.set(name, { type: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', body: f.contents });
  }
  files.set('/', { type: 'text/html; charset=utf-8', body: await readFile(`${PAGE}index.html`) });
  return files;
}

/** Starts the bundle (once); a failed build is retried on the next call. */
export function pageAssets(): Promise<Map<string, Asset>> {
  bundle ??= build().catch((e: unknown) => {
    bundle = undefined;
    throw e;
  });
  return bundle;
}
