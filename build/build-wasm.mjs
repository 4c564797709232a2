// Compiles the AssemblyScript TLV codec to build/out/tlv.wasm (release, -O3, stub runtime,
// one fixed page of memory that cannot grow). Run: npm run build:wasm
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'build/out'), { recursive: true });
const args = [
  join(root, 'firmware/codec/assembly/tlv.ts'),
  '--outFile', join(root, 'build/out/tlv.wasm'),
  '--textFile', join(root, 'build/out/tlv.wat'),
  '-O3', '--noAssert',
  '--runtime', 'stub',            // no GC: the codec never allocates
  '--initialMemory', '1', '--maximumMemory', '1',   // 64 KiB, fixed
  '--use', 'abort=',              // no env.abort import: nothing can abort
  '--disable', 'bulk-memory',     // plain loops for memory.copy: simpler for wasm2c and the XS port
];
const { error, stderr } = await asc.main(args);
if (error) {
  console.error(stderr.toString());
  process.exit(1);
}
console.log('built build/out/tlv.wasm');
