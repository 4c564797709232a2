// npm run bench: runs every host-tests/bench/*.bench.ts in turn (each prints its own table).
// Add a benchmark by dropping a new *.bench.ts here; it runs on import.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv[2];
for (const f of readdirSync(dir)
  .filter((n) => n.endsWith('.bench.ts'))
  .sort()) {
  if (only && !f.includes(only)) continue;
  console.log(`\n== ${f}`);
  await import(new URL(f, import.meta.url).href);
}
