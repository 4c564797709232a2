// Builds the mbedTLS DTLS peers of the interop tests (dtls-client.c,
// dtls-server.c) with the host C compiler against Debian's libmbedtls-dev,
// into build/out/mbedtls; rebuilt when a source is newer than its binary.
// CLI: npm run build:mbedtls. Used by host-tests/interop/dtls-mbedtls.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const HERE = import.meta.dirname;
export const MBEDTLS_OUT = resolve(HERE, '../../../build/out/mbedtls');
const HEADER = '/usr/include/mbedtls/ssl.h';
const FLAGS = ['-std=c99', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-Werror', '-O1'];
const LIBS = ['-lmbedtls', '-lmbedx509', '-lmbedcrypto'];

export interface MbedtlsPeers {
  client: string;
  server: string;
  version: string;
}

function newer(a: string, b: string): boolean {
  return !existsSync(b) || statSync(a).mtimeMs > statSync(b).mtimeMs;
}

/** The two peers, built if needed; throws with the install hint when the compiler or mbedTLS is missing. */
export function buildMbedtlsPeers(): MbedtlsPeers {
  if (spawnSync('sh', ['-c', 'command -v cc']).status !== 0) throw new Error('cc not found: apt-get install -y gcc');
  if (!existsSync(HEADER)) throw new Error(`${HEADER} not found: apt-get update && apt-get install -y libmbedtls-dev`);
  mkdirSync(MBEDTLS_OUT, { recursive: true });
  const common = join(HERE, 'peer-common.h');
  const out: Record<string, string> = {};
  for (const name of ['dtls-client', 'dtls-server']) {
    const src = join(HERE, `${name}.c`);
    const bin = join(MBEDTLS_OUT, name);
    if (newer(src, bin) || newer(common, bin)) {
      const r = spawnSync('cc', [...FLAGS, '-o', bin, src, ...LIBS], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`cc ${name}.c failed:\n${r.stderr}`);
    }
    out[name] = bin;
  }
  const v = spawnSync('sh', ['-c', `grep -m1 'define MBEDTLS_VERSION_STRING ' /usr/include/mbedtls/version.h`], { encoding: 'utf8' });
  const version = /"([^"]+)"/.exec(v.stdout)?.[1] ?? 'unknown';
  return { client: out['dtls-client'], server: out['dtls-server'], version };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(HERE, 'build.ts')) {
  const p = buildMbedtlsPeers();
  console.log(`mbedTLS ${p.version} peers: ${p.client}, ${p.server}`);
}
