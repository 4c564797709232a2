// Child processes for the DTLS interop tests (openssl s_server/s_client,
// libcoap's coap-*-openssl): stdin kept open (s_server and s_client quit at
// its end and send what is written to it), stdout+stderr kept as lines that
// can be awaited, and a kill that always happens.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { DtlsTransport, type DtlsTransportOptions } from '../../firmware/dtls/transport';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node/index';
import { Observed } from './helpers';

export function requireBinary(bin: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
    throw new Error(`${bin} not found: install it with "apt-get update && apt-get install -y ${pkg}"`);
  }
}

/** A free UDP port on 127.0.0.1 (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

const LINES_KEPT = 500;
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export class PeerProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  private partial = '';
  private waiters: Array<{ re: RegExp; resolve(m: string): void }> = [];
  exited = false;
  /** Every line as it comes (after it is kept). */
  onLine: ((line: string) => void) | null = null;

  constructor(
    readonly command: string,
    readonly args: string[],
  ) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const onData = (d: Buffer): void => {
      const parts = (this.partial + d.toString('utf8')).split('\n');
      this.partial = parts.pop() ?? '';
      for (const l of parts) this.push(l);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.child.stdin!.on('error', () => {
      /* the peer quit first */
    });
    live.add(this.child);
    this.child.once('exit', () => {
      this.exited = true;
      live.delete(this.child);
      if (this.partial) this.push(this.partial);
    });
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > LINES_KEPT) this.lines.shift();
    this.waiters = this.waiters.filter((w) => {
      if (w.re.test(line)) {
        w.resolve(line);
        return false;
      }
      return true;
    });
    this.onLine?.(line);
  }

  /** Resolves with the first line (already seen or coming) matching `re`. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.command}: no line matching ${re} within ${timeoutMs} ms; output:\n${this.lines.join('\n')}`)),
        timeoutMs,
      );
      this.waiters.push({
        re,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  write(text: string): void {
    if (!this.exited) this.child.stdin!.write(text);
  }

  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

/** Our DtlsTransport on a real loopback UDP socket, events recorded. */
export async function loopbackDtls(
  opts: Omit<DtlsTransportOptions, 'transport' | 'timers' | 'random' | 'crypto'>,
): Promise<{ dtls: DtlsTransport; port: number; seen: Observed }> {
  const udp = await openUdp({ address: '127.0.0.1' });
  const seen = new Observed();
  const dtls = new DtlsTransport({ transport: udp, timers: nodeTimers, random: nodeRandom, crypto: nodeCrypto, log: seen.log, ...opts });
  seen.attach(dtls);
  return { dtls, port: udp.port, seen };
}

/** Polls `pred` in real time (interop peers run in real time). */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
