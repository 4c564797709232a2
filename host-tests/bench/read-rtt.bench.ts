// Round trip of a Read as a server feels it: a raw UDP peer on loopback (a
// plain node:dgram socket that encodes its few messages by hand) registers a
// Node client (it answers the client's Register with 2.01 itself), then sends
// sequential Confirmable GETs of /3/0 with Accept TLV (11542) and times each
// piggybacked answer. The client runs in a process of its own, as a device
// does (read-rtt-client.ts), and, for comparison, inside the peer's process
// (one event loop for both). Beside it, a Node echo that does no work (the
// floor of any Node process) and libcoap's C server (coap-server-notls, a
// resource /3/0 created by a PUT) when it is installed.
//
// Two things move these figures more than the client's own work, so the
// bench sets and prints them:
// - Warm-up: a fresh Node process runs its first few thousand requests in
//   V8's interpreter and baseline code, compiling on the side. Each row says
//   how many requests went before the timed ones: 200 (a process just
//   started) or 5000 (a client some seconds into its service).
// - Placement: on a machine with several CPUs, a datagram that wakes a
//   process on another CPU costs a cross-CPU wake-up (about 50 µs on a small
//   VM), for the C server as much as for Node. The first table puts the main
//   thread of the peer and of the answering process on one CPU (taskset; their
//   other threads run anywhere); the second leaves placement to the scheduler.
// Run: npm run bench read   (READ_RTT_N=… changes the count, default 500)
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchClient } from './read-rtt-client';

const N = Number(process.env.READ_RTT_N ?? 500);
const FRESH = 200;
const WARMED = 5000;
const COAP_SERVER = '/usr/bin/coap-server-notls';

/** A raw CoAP peer: one socket, messages built byte by byte (RFC 7252 §3). */
class RawPeer {
  readonly socket = dgram.createSocket('udp4');
  private mid = 0x1000;
  private waiting: ((d: Buffer) => void) | undefined;
  private waitMid = -1;
  /** Answers a Confirmable POST (the client's Register) with 2.01 Location /rd/1. */
  registered = false;

  static async open(): Promise<RawPeer> {
    const p = new RawPeer();
    await new Promise<void>((r) => p.socket.bind(0, '127.0.0.1', r));
    p.socket.on('message', (d, rinfo) => p.receive(d, rinfo.address, rinfo.port));
    return p;
  }

  get port(): number {
    return this.socket.address().port;
  }

  private receive(d: Buffer, address: string, port: number): void {
    const type = (d[0]! >> 4) & 3;
    const tkl = d[0]! & 15;
    const code = d[1]!;
    const mid = (d[2]! << 8) | d[3]!;
    if (type === 0 && code === 0x02) {
      // ACK 2.01, same MID and token, Location-Path "rd" (option 8), "1".
      const token = d.subarray(4, 4 + tkl);
      const out = Buffer.concat([Buffer.from([0x60 | tkl, 0x41, d[2]!, d[3]!]), token, Buffer.from([0x82, 0x72, 0x64, 0x01, 0x31])]);
      this.socket.send(out, port, address);
      this.registered = true;
      return;
    }
    if (type === 2 && mid === this.waitMid && this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(d);
    }
  }

  /** A Confirmable request (token 4 bytes) to address:port; resolves with the piggybacked answer. */
  request(port: number, code: number, options: number[], payload?: Uint8Array): Promise<Buffer> {
    const mid = (this.mid = (this.mid + 1) & 0xffff);
    const head = [0x44, code, mid >> 8, mid & 0xff, 0xa1, 0xb2, mid >> 8, mid & 0xff, ...options];
    const msg = payload ? Buffer.concat([Buffer.from(head), Buffer.from([0xff]), payload]) : Buffer.from(head);
    this.waitMid = mid;
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.send(msg, port, '127.0.0.1');
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Uri-Path 3, 0 (option 11), Accept 11542 (option 17: delta 6, 2 bytes). */
const GET_3_0_TLV = [0xb1, 0x33, 0x01, 0x30, 0x62, 0x2d, 0x16];

interface Timed {
  times: number[];
  code: number;
  bytes: number;
  payload: Uint8Array;
}

async function timedReads(peer: RawPeer, port: number, warmup: number): Promise<Timed> {
  const times: number[] = [];
  let code = 0;
  let bytes = 0;
  let payload = new Uint8Array(0);
  for (let i = 0; i < warmup + N; i++) {
    const t0 = process.hrtime.bigint();
    const d = await peer.request(port, 0x01, GET_3_0_TLV);
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= warmup) times.push(dt);
    code = d[1]!;
    bytes = d.length;
    if (i === 0) {
      const at = d.indexOf(0xff, 4 + (d[0]! & 15));
      payload = at < 0 ? payload : Uint8Array.from(d.subarray(at + 1));
    }
  }
  return { times, code, bytes, payload };
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const codeText = (c: number) => `${c >> 5}.${String(c & 31).padStart(2, '0')}`;

/** Puts the main thread of process `pid` on CPU 0 (`pinned`) or lets it run on any (taskset -p sets that thread only). */
function place(pid: number, pinned: boolean): void {
  execFileSync('taskset', ['-p', '-c', pinned ? '0' : `0-${availableParallelism() - 1}`, String(pid)], { stdio: 'ignore' });
}

/** Whether main threads can be placed (taskset, from util-linux, and more than one CPU). */
function canPlace(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Our client inside the peer's process: the peer's work and the client's share one event loop. */
async function oursInProcess(peer: RawPeer, warmup: number): Promise<{ row: string[]; payload: Uint8Array }> {
  const c = await benchClient(peer.port);
  const end = Date.now() + 10_000;
  while (!peer.registered || !c.registered()) {
    if (Date.now() > end) throw new Error('no registration');
    await new Promise((r) => setTimeout(r, 5));
  }
  try {
    const r = await timedReads(peer, c.port, warmup);
    return { row: row("xs-lwm2m (Node), in the peer's process", warmup, r, serveCell(c.clock.times)), payload: r.payload };
  } finally {
    await c.stop();
  }
}

/** Our client in a process of its own, as a device is to its server. */
async function oursOwnProcess(peer: RawPeer, warmup: number, pinned: boolean | undefined): Promise<string[]> {
  peer.registered = false;
  const child = fork(fileURLToPath(new URL('./read-rtt-client.ts', import.meta.url)), [String(peer.port)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const on = (m: { type: string } & T) => {
        if (m.type === type) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`bench client exited (${code})`)));
    });
  try {
    const ready = await next<{ registered: boolean; port: number }>('ready');
    if (!ready.registered || !peer.registered) throw new Error('the bench client did not register');
    if (pinned !== undefined) place(child.pid!, pinned);
    const r = await timedReads(peer, ready.port, warmup);
    child.send({ type: 'times' });
    const { times } = await next<{ times: number[] }>('times');
    return row('xs-lwm2m (Node), its own process', warmup, r, serveCell(times));
  } finally {
    child.send({ type: 'stop' });
  }
}

/** The floor for a Node process: an echo that answers every GET with a fixed 73-byte ACK and does nothing else. */
async function nodeEcho(peer: RawPeer, warmup: number, pinned: boolean | undefined): Promise<string[]> {
  const child = fork(fileURLToPath(new URL('./read-rtt-echo.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m: { port: number }) => resolve(m)));
    if (pinned !== undefined) place(child.pid!, pinned);
    return row('Node echo, no work (the floor of a Node process)', warmup, await timedReads(peer, port, warmup), '');
  } finally {
    child.send({ type: 'stop' });
  }
}

function serveCell(all: number[]): string {
  const serve = all.slice(-N).sort((a, b) => a - b);
  return `${q(serve, 0.5).toFixed(1)} / ${q(serve, 0.99).toFixed(1)}`;
}

function row(name: string, warmup: number, r: Timed, serve: string): string[] {
  const s = [...r.times].sort((a, b) => a - b);
  return [
    name,
    String(warmup),
    codeText(r.code),
    String(r.bytes),
    q(s, 0.5).toFixed(3),
    q(s, 0.99).toFixed(3),
    s[s.length - 1]!.toFixed(3),
    serve,
  ];
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function libcoap(peer: RawPeer, body: Uint8Array, warmup: number, pinned: boolean | undefined): Promise<string[] | string> {
  if (!existsSync(COAP_SERVER)) return `${COAP_SERVER} not installed (Debian: libcoap3-bin)`;
  const port = await freePort();
  const proc: ChildProcess = spawn(COAP_SERVER, ['-A', '127.0.0.1', '-p', String(port), '-d', '4', '-v', '0'], { stdio: 'ignore' });
  try {
    if (pinned !== undefined) place(proc.pid!, pinned);
    // Create /3/0 with the TLV body our client answered (PUT, Content-Format 11542: option 12, delta 1 after 11).
    let created = 0;
    for (let i = 0; i < 50 && created === 0; i++) {
      const answer = await Promise.race([
        peer.request(port, 0x03, [0xb1, 0x33, 0x01, 0x30, 0x12, 0x2d, 0x16], body),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
      ]);
      if (answer) created = answer[1]!;
    }
    if (created >> 5 !== 2) return `libcoap did not take the PUT of /3/0 (${created ? codeText(created) : 'no answer'})`;
    return row(`libcoap ${COAP_SERVER.split('/').pop()} (C)`, warmup, await timedReads(peer, port, warmup), '');
  } finally {
    proc.kill('SIGTERM');
  }
}

function table(rows: string[][]): void {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((s, c) => (c === 0 ? s.padEnd(w[c]!) : s.padStart(w[c]!))).join('  '));
}

/** One table: every answering peer under one placement (undefined: this machine cannot set it). */
async function rows(peer: RawPeer, pinned: boolean | undefined, first: boolean): Promise<string[][]> {
  const out = [['answering peer', 'warm-up', 'code', 'bytes', 'median ms', 'p99 ms', 'max ms', 'in the client µs median / p99']];
  // The in-process client shares the bench's V8: only the first table's can be fresh, and it runs first.
  const fresh = first ? await oursInProcess(peer, FRESH) : undefined;
  out.push(await oursOwnProcess(peer, FRESH, pinned));
  out.push(await oursOwnProcess(peer, WARMED, pinned));
  const warmed = await oursInProcess(peer, WARMED);
  if (fresh) out.push(fresh.row);
  out.push(warmed.row);
  out.push(await nodeEcho(peer, WARMED, pinned));
  const c = await libcoap(peer, warmed.payload, WARMED, pinned);
  if (typeof c === 'string') console.log(`(no C row: ${c})`);
  else out.push(c);
  return out;
}

async function main(): Promise<void> {
  const peer = await RawPeer.open();
  const placing = canPlace();
  try {
    console.log(
      `${N} sequential Confirmable GET /3/0, Accept TLV, from a raw UDP peer on loopback; round trip per request, after the warm-up requests`,
    );
    if (placing) {
      place(process.pid, true);
      console.log('\nthe main threads of the peer and of the answering process on one CPU (taskset; their other threads anywhere):');
      table(await rows(peer, true, true));
      place(process.pid, false);
      console.log('\nplacement left to the scheduler:');
      table(await rows(peer, false, false));
    } else {
      console.log('\nplacement left to the scheduler (no taskset, or one CPU):');
      table(await rows(peer, undefined, true));
    }
  } finally {
    peer.close();
  }
}

await main();
