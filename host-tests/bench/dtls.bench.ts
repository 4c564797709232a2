// DTLS figures (npm run bench dtls):
//  1. our handshake in real time over loopback UDP (full and resumed, datagrams
//     and bytes per handshake) and record protect + unprotect throughput for
//     100-byte records with each cipher suite, node:crypto port beside the
//     noble port (the one XS uses) and node's AES block under the core's CCM;
//  2. side by side in one run: our DtlsTransport client and libcoap's
//     coap-client-openssl against the same server, coap-server-openssl and
//     then our own DtlsTransport server; both clients go through one counting
//     UDP relay, so the same wire figures are taken the same way for both;
//  3. the XS heap one DTLS session costs, client and server role, from the
//     engine's own figures (xsnap: live slots after gc, live chunk bytes from
//     a heap snapshot).
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { DEFAULT_SERVER_CID_LENGTH, DtlsTransport } from '../../firmware/dtls/transport';
import { encodeRecord } from '../../firmware/dtls/record';
import { encodeInnerPlaintext } from '../../firmware/dtls/connection-id';
import { SUPPORTED_SUITES, suiteById } from '../../firmware/dtls/cipher-suite';
import { ContentType, DTLS_1_2, HandshakeType } from '../../firmware/dtls/constants';
import type { DtlsCrypto } from '../../firmware/dtls/crypto';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { nodeCrypto, nodeCryptoBlockOnly } from '../../firmware/platform/node/crypto';
import { xsHostCrypto } from '../xs-harness/port/crypto';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node/index';
import { silentLogger, type DatagramTransport } from '../../firmware/platform/ports';
import { toHex } from '../../firmware/util/hex';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { heapPoint, type HeapPoint } from '../xs-harness/heap';

const PORTS: Array<[string, DtlsCrypto]> = [
  ['node:crypto', nodeCrypto],
  ['node AES + core CCM', nodeCryptoBlockOnly],
  ['noble (XS port)', xsHostCrypto],
];
const KEY = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

/** Prints rows as columns: the first `left` columns (and the last, with lastLeft) left-aligned, the rest right-aligned. */
function table(rows: string[][], left = 1, lastLeft = false): void {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const leftAligned = (c: number, n: number) => c < left || (lastLeft && c === n - 1);
  for (const r of rows)
    console.log(
      r
        .map((s, c) => (leftAligned(c, r.length) ? (s ?? '').padEnd(w[c]) : (s ?? '').padStart(w[c])))
        .join('  ')
        .trimEnd(),
    );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

// ---------------------------------------------------------------- 1. our handshake, records

/** Counts what crosses a transport (both directions). */
function counted(t: DatagramTransport): DatagramTransport & { datagrams: number; bytes: number } {
  const c = {
    datagrams: 0,
    bytes: 0,
    onReceive: null as DatagramTransport['onReceive'],
    send(d: Uint8Array, a: string, p: number) {
      c.datagrams++;
      c.bytes += d.length;
      t.send(d, a, p);
    },
    close() {
      t.close();
    },
  };
  t.onReceive = (d, a, p) => {
    c.datagrams++;
    c.bytes += d.length;
    c.onReceive?.(d, a, p);
  };
  return c;
}

async function handshakes(name: string, crypto: DtlsCrypto, resumed: boolean, n: number, print = true): Promise<void> {
  const serverUdp = await openUdp({ address: '127.0.0.1' });
  const server = new DtlsTransport({ transport: serverUdp, timers: nodeTimers, random: nodeRandom, crypto, server: { pskKey: () => KEY } });
  const wire = counted(await openUdp({ address: '127.0.0.1' }));
  const client = new DtlsTransport({
    transport: wire,
    timers: nodeTimers,
    random: nodeRandom,
    crypto,
    client: { psk: () => ({ identity: 'bench', key: KEY }) },
  });
  let done = 0;
  let closed = 0;
  client.onHandshakeDone = () => {
    done++;
  };
  server.onSessionClosed = () => {
    closed++;
  };
  const wait = async (pred: () => boolean): Promise<void> => {
    while (!pred()) await new Promise((r) => setImmediate(r));
  };
  // A first handshake leaves a session to resume.
  client.connect('127.0.0.1', serverUdp.port);
  await wait(() => done === 1);
  let total = 0;
  let datagrams = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    client.closeSession('127.0.0.1', serverUdp.port);
    await wait(() => closed === i + 1);
    await sleep(5); // the server's answering close_notify must not count in the next handshake
    if (!resumed) client.forgetSession('127.0.0.1', serverUdp.port);
    const [d0, b0] = [wire.datagrams, wire.bytes];
    const t0 = performance.now();
    client.connect('127.0.0.1', serverUdp.port);
    await wait(() => done === i + 2);
    total += performance.now() - t0;
    datagrams += wire.datagrams - d0;
    bytes += wire.bytes - b0;
  }
  if (print)
    console.log(
      `${`${resumed ? 'resumed' : 'full'} handshake, ${name}`.padEnd(44)} ${(total / n).toFixed(2).padStart(8)} ms  ${(datagrams / n).toFixed(0).padStart(3)} datagrams  ${(bytes / n).toFixed(0).padStart(5)} bytes`,
    );
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
    console.log(
      `${`100 B record seal+open, ${suite.name.replace('TLS_PSK_WITH_', '')}, ${name}`.padEnd(64)} ${Math.round(n / (ms / 1000))
        .toLocaleString('en')
        .padStart(10)} /s`,
    );
  }
}

/** Bytes on the wire of one record (header included) for a few payload sizes, without and with a CID (RFC 9146: the CID in the header, the real type inside). */
function recordSizes(cidLength: number): void {
  const rows = [['record bytes on the wire', 'payload B', 'RFC 6347', `CID ${cidLength} B`, 'added']];
  const cid = new Uint8Array(cidLength).fill(0xc1);
  for (const suite of SUPPORTED_SUITES) {
    const w = suite.protection(nodeCrypto, nodeRandom, new Uint8Array(suite.keyBlockLength), true);
    for (const len of [10, 50, 100, 1024]) {
      const pt = new Uint8Array(len);
      const plain = encodeRecord(ContentType.application_data, 1, 1, w.seal(ContentType.application_data, 1, 1, DTLS_1_2, pt)).length;
      const inner = encodeInnerPlaintext(pt, ContentType.application_data);
      const withCid = encodeRecord(
        ContentType.tls12_cid,
        1,
        1,
        w.seal(ContentType.tls12_cid, 1, 1, DTLS_1_2, inner, cid),
        DTLS_1_2,
        cid,
      ).length;
      rows.push([suite.name.replace('TLS_PSK_WITH_', ''), String(len), String(plain), String(withCid), `+${withCid - plain}`]);
    }
  }
  console.log('');
  table(rows, 1);
}

// ---------------------------------------------------------------- 2. side by side with libcoap

/** One datagram the relay forwarded, with what its DTLS record headers say. */
interface WireDatagram {
  t: number;
  fromClient: boolean;
  length: number;
  /** Content types of the records in it, with their lengths (header included). */
  records: Array<{ type: number; bytes: number }>;
  clientHelloSessionId?: string;
  /** A ClientHello without a cookie: the first message of a handshake. */
  opensHandshake?: boolean;
  serverHello?: { sessionId: string; suite: number };
}

/** Reads record headers (RFC 6347 §4.1) and, in plaintext epoch 0, the session_id of hellos and the chosen suite. */
function dissect(d: Uint8Array, fromClient: boolean, t: number): WireDatagram {
  const out: WireDatagram = { t, fromClient, length: d.length, records: [] };
  let o = 0;
  while (o + 13 <= d.length) {
    const type = d[o];
    const epoch = (d[o + 3] << 8) | d[o + 4];
    // tls12_cid (RFC 9146): only our server gives CIDs here, all of its default length.
    const header = type === ContentType.tls12_cid ? 13 + DEFAULT_SERVER_CID_LENGTH : 13;
    const len = (d[o + header - 2] << 8) | d[o + header - 1];
    out.records.push({ type, bytes: header + len });
    const body = o + 13 + 12; // after the record header and the handshake header
    if (type === ContentType.handshake && epoch === 0 && body + 35 <= d.length) {
      const msg = d[o + 13];
      const sidLen = d[body + 34];
      const sid = toHex(d.subarray(body + 35, body + 35 + sidLen));
      if (msg === HandshakeType.client_hello) {
        out.clientHelloSessionId = sid;
        out.opensHandshake = d[body + 35 + sidLen] === 0; // cookie length
      }
      if (msg === HandshakeType.server_hello)
        out.serverHello = { sessionId: sid, suite: (d[body + 35 + sidLen] << 8) | d[body + 36 + sidLen] };
    }
    o += header + len;
  }
  return out;
}

/** A datagram of protected records only: data (a Finished always travels with a ChangeCipherSpec, so a tls12_cid record alone is data). */
function isData(d: WireDatagram): boolean {
  return d.records.length > 0 && d.records.every((r) => r.type === ContentType.application_data || r.type === ContentType.tls12_cid);
}

/** What one handshake cost on the wire, as the relay saw it. */
interface HandshakeFigures {
  /** First ClientHello → the client's first application_data record (the request it was waiting to send). */
  ms: number;
  datagrams: number;
  /** Bytes of the handshake, ChangeCipherSpec and alert records, their headers included (IP/UDP headers not). */
  bytes: number;
  clientHelloBytes: number;
  suite: number;
  resumed: boolean;
}

function figures(log: WireDatagram[]): HandshakeFigures {
  const start = log.findIndex((d) => d.fromClient && d.clientHelloSessionId !== undefined);
  const end = log.findIndex((d, i) => i > start && d.fromClient && isData(d));
  if (start < 0 || end < 0) throw new Error('relay: no complete handshake followed by data seen');
  let datagrams = 0;
  let bytes = 0;
  for (const d of log.slice(start, end + 1)) {
    const hs = isData(d) ? [] : d.records.filter((r) => r.type !== ContentType.application_data);
    if (hs.length) datagrams++;
    for (const r of hs) bytes += r.bytes;
  }
  const hello = log[start];
  const sh = log.slice(start, end).find((d) => d.serverHello)?.serverHello;
  if (!sh) throw new Error('relay: no ServerHello seen');
  return {
    ms: log[end].t - hello.t,
    datagrams,
    bytes,
    clientHelloBytes: hello.records[0].bytes,
    suite: sh.suite,
    resumed: sh.sessionId !== '' && sh.sessionId === hello.clientHelloSessionId,
  };
}

/**
 * A UDP relay in front of a server: one upstream socket per client address, every datagram
 * timestamped and dissected. An external client (coap-client-openssl) cannot be instrumented,
 * so both clients are measured here, the same way. Each handshake (a ClientHello without a
 * cookie) opens a new log, so a client port used again, or a resumption, is measured on its own.
 */
class CountingRelay {
  private readonly current = new Map<string, WireDatagram[]>();
  private readonly front = dgram.createSocket('udp4');
  private readonly upstream = new Map<string, dgram.Socket>();
  /** The log of the handshake that began last. */
  latest: WireDatagram[] = [];
  port = 0;

  constructor(private readonly target: number) {}

  async open(): Promise<this> {
    await new Promise<void>((r) => this.front.bind(0, '127.0.0.1', () => r()));
    this.port = this.front.address().port;
    this.front.on('message', (m, from) => {
      const key = `${from.address}:${from.port}`;
      const d = dissect(m, true, performance.now());
      if (d.opensHandshake || !this.current.has(key)) {
        this.latest = [];
        this.current.set(key, this.latest);
      }
      this.current.get(key)!.push(d);
      let up = this.upstream.get(key);
      if (!up) {
        up = dgram.createSocket('udp4');
        this.upstream.set(key, up);
        up.on('message', (back) => {
          this.current.get(key)?.push(dissect(back, false, performance.now()));
          this.front.send(back, from.port, from.address);
        });
        up.bind(0, '127.0.0.1');
      }
      up.send(m, this.target, '127.0.0.1');
    });
    return this;
  }

  close(): void {
    this.front.close();
    for (const u of this.upstream.values()) u.close();
  }
}

const COAP_KEY = 'bench-psk-secret';
const COAP_IDENTITY = 'bench-client';

function hasBinary(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

function coapClientRun(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'coap-client-openssl',
      ['-k', COAP_KEY, '-u', COAP_IDENTITY, '-B', '5', `coaps://127.0.0.1:${port}/`],
      { timeout: 10_000 },
      (err, _out, stderr) => (err ? reject(new Error(`coap-client-openssl: ${err.message} ${stderr}`)) : resolve()),
    );
  });
}

/** One CoAP GET / over our DtlsTransport client, through the relay. */
async function ourGet(ep: CoapEndpoint, port: number): Promise<void> {
  const res = await ep.request({ address: '127.0.0.1', port }, { method: Code.GET, path: [] });
  if (res.code !== Code.CONTENT) throw new Error(`our client: GET / answered ${res.code}`);
}

interface OurClient {
  dtls: DtlsTransport;
  ep: CoapEndpoint;
}

async function ourClient(): Promise<OurClient> {
  const udp = await openUdp({ address: '127.0.0.1' });
  const dtls = new DtlsTransport({
    transport: udp,
    timers: nodeTimers,
    random: nodeRandom,
    crypto: nodeCrypto,
    client: { psk: () => ({ identity: COAP_IDENTITY, key: utf8Encode(COAP_KEY) }) },
  });
  const ep = new CoapEndpoint({ transport: dtls, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  return { dtls, ep };
}

async function closeOur(c: OurClient, port: number): Promise<void> {
  // closeSession first: DtlsTransport.close() closes the Node socket before its close_notify leaves
  // (dgram's send is still resolving the address), and the server would keep the session.
  c.dtls.closeSession('127.0.0.1', port);
  await sleep(2);
  c.ep.close();
  c.dtls.close();
}

interface Row {
  client: string;
  kind: string;
  f: HandshakeFigures[];
  note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function suiteName(id: number): string {
  const ours = suiteById(id);
  if (ours) return ours.name.replace('TLS_', '');
  const known: Record<number, string> = {
    0xccac: 'ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
    0xc0a8: 'PSK_WITH_AES_128_CCM_8',
    0xc037: 'ECDHE_PSK_WITH_AES_128_CBC_SHA256',
  };
  return known[id] ?? `0x${id.toString(16).padStart(4, '0')}`;
}

/** Full handshakes of N runs of each client, resumed ones of ours, against one server behind a relay. */
async function sideBySide(serverName: string, serverPort: number, n: number): Promise<Row[]> {
  const relay = await new CountingRelay(serverPort).open();
  const rows: Row[] = [];
  try {
    // our client: a new socket and transport per run, as coap-client is a new process per run
    const full: HandshakeFigures[] = [];
    for (let i = 0; i < n; i++) {
      const c = await ourClient();
      await ourGet(c.ep, relay.port);
      full.push(figures(relay.latest));
      await closeOur(c, relay.port);
    }
    rows.push({ client: 'ours (DtlsTransport, node:crypto)', kind: 'full', f: full });

    // resumed: one transport; close_notify, then the next request resumes the session
    const resumed: HandshakeFigures[] = [];
    const c = await ourClient();
    let serverClosed = 0;
    c.dtls.onSessionClosed = () => {
      serverClosed++;
    };
    await ourGet(c.ep, relay.port);
    for (let i = 0; i < n; i++) {
      c.dtls.closeSession('127.0.0.1', relay.port);
      await until(() => serverClosed === i + 1, 2000, 'our close_notify');
      await sleep(5); // let the server take the close_notify in before the next ClientHello
      await ourGet(c.ep, relay.port);
      resumed.push(figures(relay.latest));
    }
    await closeOur(c, relay.port);
    rows.push({ client: 'ours (DtlsTransport, node:crypto)', kind: 'resumed', f: resumed });

    const lib: HandshakeFigures[] = [];
    for (let i = 0; i < n; i++) {
      await coapClientRun(relay.port);
      lib.push(figures(relay.latest));
    }
    rows.push({ client: 'coap-client-openssl (libcoap 4.3.1)', kind: 'full', f: lib });
    rows.push({
      client: 'coap-client-openssl (libcoap 4.3.1)',
      kind: 'resumed',
      f: [],
      note: 'no figure: each run is one process with one session and keeps none for the next; it has no option to resume',
    });
  } finally {
    relay.close();
  }
  for (const r of rows) (r as Row & { server: string }).server = serverName;
  return rows;
}

function printSideBySide(rows: Array<Row & { server?: string }>, n: number): void {
  const out = [['server', 'client', 'handshake', 'ms p50', 'ms mean', 'datagrams', 'bytes', 'ClientHello B', 'suite chosen / note']];
  for (const r of rows) {
    if (r.f.length === 0) {
      out.push([r.server ?? '', r.client, r.kind, '—', '—', '—', '—', '—', r.note ?? '']);
      continue;
    }
    const resumedAll = r.f.every((f) => f.resumed);
    const suites = [...new Set(r.f.map((f) => suiteName(f.suite)))].join(', ');
    const kind = r.kind === 'resumed' && !resumedAll ? `resumed? (${r.f.filter((f) => f.resumed).length}/${r.f.length})` : r.kind;
    out.push([
      r.server ?? '',
      r.client,
      kind,
      median(r.f.map((f) => f.ms)).toFixed(2),
      (r.f.reduce((a, f) => a + f.ms, 0) / r.f.length).toFixed(2),
      median(r.f.map((f) => f.datagrams)).toFixed(0),
      median(r.f.map((f) => f.bytes)).toFixed(0),
      median(r.f.map((f) => f.clientHelloBytes)).toFixed(0),
      suites,
    ]);
  }
  console.log(`\nDTLS 1.2 PSK handshakes side by side (${n} runs each, loopback, through one counting UDP relay)`);
  table(out, 3, true);
  console.log("ms: first ClientHello → the client's first application_data record (its CoAP GET), at the relay;");
  console.log('datagrams/bytes: those carrying handshake, ChangeCipherSpec or alert records, both directions, record headers included.');
}

async function libcoapSideBySide(n: number): Promise<void> {
  if (!hasBinary('coap-client-openssl') || !hasBinary('coap-server-openssl')) {
    console.log(
      '\nDTLS side by side with libcoap: skipped (coap-client-openssl / coap-server-openssl not found; apt-get install libcoap3-bin)',
    );
    return;
  }
  const rows: Array<Row & { server?: string }> = [];
  // A. libcoap's own server (OpenSSL 3): coaps on port + 1 when given a PSK.
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const base = probe.address().port;
  probe.close();
  const server = spawn('coap-server-openssl', ['-A', '127.0.0.1', '-p', String(base), '-k', COAP_KEY, '-v', '0'], { stdio: 'ignore' });
  try {
    await sleep(300);
    rows.push(...(await sideBySide('coap-server-openssl', base + 1, n)));
  } finally {
    server.kill('SIGKILL');
  }
  // B. our DtlsTransport server under our CoapEndpoint.
  const udp = await openUdp({ address: '127.0.0.1' });
  const dtls = new DtlsTransport({
    transport: udp,
    timers: nodeTimers,
    random: nodeRandom,
    crypto: nodeCrypto,
    server: { pskKey: (id) => (utf8Decode(id) === COAP_IDENTITY ? utf8Encode(COAP_KEY) : null) },
  });
  const ep = new CoapEndpoint({ transport: dtls, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  ep.onRequest = () => ({ code: Code.CONTENT, contentFormat: 0, payload: utf8Encode('hello from xs-lwm2m') });
  try {
    rows.push(...(await sideBySide('ours (DtlsTransport)', udp.port, n)));
  } finally {
    ep.close();
    dtls.close();
  }
  printSideBySide(rows, n);
}

// ---------------------------------------------------------------- 3. XS heap per session

async function xsSessionHeap(n: number): Promise<void> {
  const perSession: string[][] = [['per established session (N = ' + n + ')', 'slots', 'x16 B', 'chunk B']];
  for (const cid of [false, true]) await xsSessionHeapRound(n, cid, perSession);
  table(perSession);
}

/** One round: N sessions in each role, with the Node peers refusing or taking a Connection ID. */
async function xsSessionHeapRound(n: number, withCid: boolean, perSession: string[][]): Promise<void> {
  const tag = withCid ? ', CID' : ', no CID';
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-dtls-bench-'));
  const { code } = await bundleForXs('host-tests/xs-harness/entries/dtls.ts', { minify: true });
  const host = await XsHost.start({ script: code });
  const nodePeers: DtlsTransport[] = [];
  const rows = [['XS heap, DTLS (xsnap, after gc)', 'slots', 'x16 B (ESP32 slot)', 'chunk B (xsnap)', 'Δ slots', 'Δ chunk B']];
  let prev: HeapPoint | null = null;
  const point = async (label: string, from?: HeapPoint): Promise<HeapPoint> => {
    const p = await heapPoint(host.worker, dir);
    const ref = from ?? prev;
    rows.push([
      label,
      String(p.slots),
      String(p.slots * 16),
      String(p.chunkBytes),
      ref ? String(p.slots - ref.slots) : '',
      ref ? String(p.chunkBytes - ref.chunkBytes) : '',
    ]);
    prev = p;
    return p;
  };
  try {
    const KEY_HEX = toHex(KEY);
    await point('DTLS core bundle loaded');

    // Client role: one transport, N sessions to N Node servers.
    const { id: cid } = await host.callJson<{ id: number }>('client', { identity: 'xs-bench', key: KEY_HEX });
    const c0 = await point(`client transport, no session${tag}`);
    const servers: Array<{ dtls: DtlsTransport; port: number }> = [];
    for (let i = 0; i < n; i++) {
      const udp = await openUdp({ address: '127.0.0.1' });
      const dtls = new DtlsTransport({
        transport: udp,
        timers: nodeTimers,
        random: nodeRandom,
        crypto: nodeCrypto,
        server: { pskKey: () => KEY, connectionId: withCid },
      });
      dtls.onReceive = (d, a, p) => dtls.send(d, a, p); // echo
      nodePeers.push(dtls);
      servers.push({ dtls, port: udp.port });
    }
    for (let i = 0; i < n; i++) {
      await host.callJson('send', { id: cid, port: servers[i].port, text: 'ping' });
      await host.waitEvent('client-done');
      await host.waitEvent('client-data');
      await point(`client: ${i + 1} session${i ? 's' : ''} established${tag}`);
    }
    const cN = prev!;
    perSession.push([
      `client role${tag}`,
      ((cN.slots - c0.slots) / n).toFixed(0),
      (((cN.slots - c0.slots) * 16) / n).toFixed(0),
      ((cN.chunkBytes - c0.chunkBytes) / n).toFixed(0),
    ]);
    for (let i = 0; i < n; i++) {
      await host.callJson('closeSession', { id: cid, port: servers[i].port });
      await host.waitEvent('client-closed');
    }
    await point(`client: all closed (kept for resumption)`, c0);

    // Server role: one XS server, N Node clients.
    const { port: sport } = await host.callJson<{ port: number }>('server', { identity: 'xs-bench', key: KEY_HEX });
    const s0 = await point(`server transport, no session${tag}`);
    for (let i = 0; i < n; i++) {
      const udp = await openUdp({ address: '127.0.0.1' });
      const dtls = new DtlsTransport({
        transport: udp,
        timers: nodeTimers,
        random: nodeRandom,
        crypto: nodeCrypto,
        client: { psk: () => ({ identity: 'xs-bench', key: KEY }), connectionId: withCid },
      });
      nodePeers.push(dtls);
      dtls.send(utf8Encode('ping'), '127.0.0.1', sport);
      await host.waitEvent('server-done');
      await host.waitEvent('server-data');
      await point(`server: ${i + 1} session${i ? 's' : ''} established${tag}`);
    }
    const sN = prev!;
    perSession.push([
      `server role${tag}`,
      ((sN.slots - s0.slots) / n).toFixed(0),
      (((sN.slots - s0.slots) * 16) / n).toFixed(0),
      ((sN.chunkBytes - s0.chunkBytes) / n).toFixed(0),
    ]);
    for (const p of nodePeers.slice(n)) p.closeSession('127.0.0.1', sport); // close() would lose the close_notify
    for (let i = 0; i < n; i++) await host.waitEvent('server-closed');
    await point('server: all closed (session cache kept)', s0);
  } finally {
    for (const p of nodePeers) p.close();
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('');
  table(rows);
  console.log("(the engine's own counts: slots are 32 B in 64-bit xsnap and 16 B on the ESP32; chunk bytes are xsnap's, whose");
  console.log(' chunk headers and pointers are 64-bit, so the device needs no more than that; Δ is against the row before,');
  console.log(' or for "closed" against the transport with no session)');
}

// ---------------------------------------------------------------- run

await handshakes('warm-up (JIT), not printed', nodeCrypto, false, 20, false);
for (const [name, crypto] of PORTS) await handshakes(name, crypto, false, 30);
for (const [name, crypto] of PORTS) await handshakes(name, crypto, true, 30);
for (const [name, crypto] of PORTS) records(name, crypto, 20_000);
recordSizes(DEFAULT_SERVER_CID_LENGTH);
await libcoapSideBySide(20);
await xsSessionHeap(4);
