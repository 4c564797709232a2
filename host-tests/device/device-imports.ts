// Static check of module specifiers against how XS on a microcontroller
// resolves them (Moddable xs/platforms/mc/xsHosts.c fxFindModule, and xsl
// for preloaded modules): './x' is the importer's folder + x; each leading
// '../' goes up one folder ('../../x' two), never above the top of the module
// names; anything else ('./../x', 'a/../b', 'a/./b') is not normalised and is
// not found; a bare name must equal a module name built into the archive;
// there is no directory index lookup ('../formats' does not find formats/index).
import { readFileSync } from 'node:fs';

/**
 * SDK modules the Moddable port and main may import (mapped by the SDK manifests we include,
 * for ESP32 as of SDK 8.2). Not the legacy `wifi` module: SDK 8.2 builds ESP32 firmware with the
 * ECMA-419 `embedded:network/interface/wifi` instead, and an import of `wifi` fails at xsl.
 * `crypt` is modules/crypt/digest (Digest, BlockCipher, Mode in C), for the DTLS crypto port.
 */
export const MODDABLE_MODULES = new Set([
  'timer',
  'time',
  'flash',
  'embedded:network/interface/wifi',
  'net',
  'sntp',
  'socket',
  'mc/config',
  'instrumentation',
  'debug',
  'preference',
  'Resource',
  'system',
  'embedded:io/socket/udp',
  'embedded:io/socket/tcp',
  'embedded:io/digital',
  'embedded:provider/builtin',
  'crypt',
  // Firmware Update: the SDK's ESP32 module and ours (esp32/ota-boot.c), shims on lin (boards/lin).
  'ota',
  'ota-boot',
  // Random bytes: the hardware RNG on ESP32 (esp32/entropy.ts), getrandom(2) on lin (platform/lin/entropy).
  'entropy',
  // Queue Mode's deep sleep and retained memory: ours over ESP-IDF (esp32/deep-sleep.c), a shim on lin.
  'deep-sleep',
]);

export interface ImportRef {
  line: number;
  specifier: string;
  /** `import type` / `export type`: erased by tsc, never loaded on the device. */
  typeOnly: boolean;
}

export function findImports(source: string): ImportRef[] {
  // Blank out comments but keep offsets (so line numbers stay right) and leave strings alone.
  const text = source
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/^([ \t]*)\/\/.*$/gm, (m, indent: string) => indent + ' '.repeat(m.length - indent.length));
  const out: ImportRef[] = [];
  const lineOf = (index: number): number => text.slice(0, index).split('\n').length;
  const fromRe = /\b(import|export)\s+(type\s+)?([^;'"`]*?)\bfrom\s*['"]([^'"]+)['"]/g;
  for (let m = fromRe.exec(text); m !== null; m = fromRe.exec(text)) {
    // `import type from './x'` is a default import named `type`, not a type-only import.
    const typeOnly = m[2] !== undefined && (m[3] ?? '').trim() !== '';
    out.push({ line: lineOf(m.index), specifier: m[4]!, typeOnly });
  }
  const bareRe = /(^|[;\n])\s*import\s*['"]([^'"]+)['"]/g;
  for (let m = bareRe.exec(text); m !== null; m = bareRe.exec(text)) {
    out.push({ line: lineOf(m.index + m[1]!.length), specifier: m[2]!, typeOnly: false });
  }
  return out;
}

/** The module name XS will look up for `specifier` imported from module `referrer`, or why it cannot. */
export function resolveOnDevice(referrer: string, specifier: string): { target: string } | { problem: string } {
  let name = specifier.replace(/\.(m?js)$/, '');
  if (name.startsWith('./') || name.startsWith('../')) {
    let up = 0;
    let rest = name.startsWith('./') ? name.slice(2) : name;
    while (!name.startsWith('./') && rest.startsWith('../')) {
      up++;
      rest = rest.slice(3);
    }
    if (rest.split('/').some((seg) => seg === '.' || seg === '..' || seg === '')) {
      return { problem: `"${specifier}": XS on the device resolves './x' and leading '../' only (no './../', no 'a/../b')` };
    }
    const folder = referrer.split('/');
    folder.pop(); // the referrer's own file name
    if (up > folder.length) return { problem: `"${specifier}" from "${referrer}" goes above the top of the module tree` };
    folder.length -= up;
    return { target: [...folder, rest].join('/') };
  }
  if (name.startsWith('/')) return { problem: `"${specifier}": absolute specifiers are not used in this firmware` };
  return { target: name };
}

export function importsOfFile(path: string): ImportRef[] {
  return findImports(readFileSync(path, 'utf8'));
}
