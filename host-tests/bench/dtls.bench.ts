// DTLS figures: handshake time in real time over loopback UDP (full and
// resumed, datagrams and bytes per handshake), and record protect + unprotect
// throughput for 100-byte records with each cipher suite, node:crypto port
// beside the noble port (the one XS uses) and node's AES block under the core's CCM.
import { DtlsTransport } from '../../firmware/dtls/transport';
import { SUPPORTED_SUITES } from '../../firmware/dtls/cipher-suite';
import { ContentType, DTLS_1_2 } from '../../firmware/dtls/constants';
import type { DtlsCrypto } from '../../firmware/dtls/crypto';
import { nodeCrypto, nodeCryptoBlockOnly } from '../../firmware/platform/node/crypto';
import { xsHostCrypto } from '../../firmware/platform/xs-host/crypto';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node/index';
import type { DatagramTransport } from '../../firmware/platform/ports';

const PORTS: Array<[string, DtlsCrypto]> = [['node:crypto', nodeCrypto], ['node AES + core CCM', nodeCryptoBlockOnly], ['noble (XS port)', xsHostCrypto]];
const KEY = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

/** Counts what crosses a transport (both directions). */
function counted(t: DatagramTransport): DatagramTransport & { datagrams: number; bytes: number } {
  const c = {
    datagrams: 0, bytes: 0, onReceive: null as DatagramTransport['onReceive'],
    send(d: Uint8Array, a: string, p: number) { c.datagrams++; c.bytes += d.length; t.send(d, a, p); },
    close() { t.close(); },
  };
  t.onReceive = (d, a, p) => { c.datagrams++; c.bytes += d.length; c.onReceive?.(d, a, p); };
  return c;
}

async function handshakes(name: string, crypto: DtlsCrypto, resumed: boolean, n: number): Promise<void> {
  const serverUdp = await openUdp({ address: '127.0.0.1' });
  const server = new DtlsTransport({ transport: serverUdp, timers: nodeTimers, random: nodeRandom, crypto, server: { pskKey: () => KEY } });
  const wire = counted(await openUdp({ address: '127.0.0.1' }));
  const client = new DtlsTransport({ transport: wire, timers: nodeTimers, random: nodeRandom, crypto, client: { psk: () => ({ identity: 'bench', key: KEY }) } });
  let done = 0;
  let closed = 0;
  client.onHandshakeDone = () => { done++; };
  server.onSessionClosed = () => { closed++; };
  const wait = async (pred: () => boolean): Promise<void> => { while (!pred()) await new Promise((r) => setImmediate(r)); };
  // A first handshake leaves a session to resume.
  client.connect('127.0.0.1', serverUdp.port);
  await wait(() => done === 1);
  let total = 0;
  let datagrams = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    client.closeSession('127.0.0.1', serverUdp.port);
    await wait(() => closed === i + 1);
    if (!resumed) client.forgetSession('127.0.0.1', serverUdp.port);
    const [d0, b0] = [wire.datagrams, wire.bytes];
    const t0 = performance.now();
    client.connect('127.0.0.1', serverUdp.port);
    await wait(() => done === i + 2);
    total += performance.now() - t0;
    datagrams += wire.datagrams - d0;
    bytes += wire.bytes - b0;
  }
  console.log(`${`${resumed ? 'resumed' : 'full'} handshake, ${name}`.padEnd(44)} ${(total / n).toFixed(2).padStart(8)} ms  ${(datagrams / n).toFixed(0).padStart(3)} datagrams  ${(bytes / n).toFixed(0).padStart(5)} bytes`);
  client.close();
  server.close();
}

function records(name: string, crypto: DtlsCrypto, n: number): void {
  const plaintext = new Uint8Array(100).fill(0x5a);
  for (const suite of SUPPORTED_SUITES) {
    const kb = Uint8Array.from({ length: suite.keyBlockLength }, (_, i) => i);
    const w = suite.protection(crypto, nodeRandom, kb.slice(), true);
    const r = suite.protection(crypto, nodeRandom, kb.slice(), true);
    const t0 = performance.now();
    for (let seq = 0; seq < n; seq++) {
      const sealed = w.seal(ContentType.application_data, 1, seq, DTLS_1_2, plaintext);
      if (!r.open(ContentType.application_data, 1, seq, DTLS_1_2, sealed)) throw new Error('record did not open');
    }
    const ms = performance.now() - t0;
    console.log(`${`100 B record seal+open, ${suite.name.replace('TLS_PSK_WITH_', '')}, ${name}`.padEnd(64)} ${Math.round(n / (ms / 1000)).toLocaleString('en').padStart(10)} /s`);
  }
}

for (const [name, crypto] of PORTS) await handshakes(name, crypto, false, 30);
for (const [name, crypto] of PORTS) await handshakes(name, crypto, true, 30);
for (const [name, crypto] of PORTS) records(name, crypto, 20_000);
