// The Read of /3/0 (TLV) inside the real XS engine on the host (xsnap), the
// client registered and nothing else running: compute units (roughly
// bytecodes executed) and bytes allocated per Read, from xsnap's meter over
// a batch, with the built-ins frozen as preload leaves them. XS interprets,
// so this is what a Read costs the device's CPU and heap (the Linux runtime's
// service time: npm run bench moddable).
// Run: npm run bench xs-read
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';

const BATCH = 200;

const bundle = await bundleForXs(new URL('../xs-harness/entries/read-loop.ts', import.meta.url).pathname);
const host = await XsHost.start({ script: bundle.code });
try {
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;
  const reg = dec<{ state: string }>(await host.call('register'));
  if (reg.state !== 'registered') throw new Error(`not registered: ${reg.state}`);
  await host.call('reads', enc({ count: 50 })); // warm: first-use allocations (caches, tables) are not per-Read costs
  const rows: string[] = [];
  for (let run = 0; run < 3; run++) {
    const out = dec<{ bytes: number; code: number }>(await host.call('reads', enc({ count: BATCH })));
    const m = host.meter!;
    if (out.code !== 0x45) throw new Error(`Read /3/0 answered ${out.code >> 5}.${String(out.code & 31).padStart(2, '0')}`);
    rows.push(
      `batch ${run + 1}: ${Math.round(m.compute / BATCH)} compute units and ${Math.round(m.allocate / BATCH)} B allocated per Read (answer ${out.bytes} B)`,
    );
  }
  if (process.env.XS_READ_PARTS) {
    for (const name of ['nothing', 'decode', 'gather', 'read', 'encode', 'encode-js', 'respond']) {
      const r = dec<{ records: number }>(await host.call('part', enc({ name, count: BATCH })));
      rows.push(`part ${name}: ${Math.round(host.meter!.compute / BATCH)} compute units (${r.records} records)`);
    }
  }
  console.log(`Read /3/0 (TLV) in XS (xsnap), ${BATCH} per batch, client registered:`);
  for (const r of rows) console.log(`  ${r}`);
} finally {
  await host.close();
}
