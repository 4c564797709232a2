// A bad network between a host server and the firmware under test: a
// DatagramTransport put between a server and its UDP socket (both directions)
// that the test steers while the firmware runs. It can be down (everything
// dropped, as a server that is not there), drop the next datagrams a rule
// picks (the first Bootstrap-Request, the ACK of Bootstrap-Finish …), lose a
// share of all datagrams and send some twice, with a seeded generator so a run
// can be told again, and show each datagram to the test before it goes on
// (to cut the firmware's power at a chosen message).
import { decodeMessage, codeString, OptionNumber } from '../../firmware/coap/message';
import type { DatagramTransport } from '../../firmware/platform/ports';
import { utf8Decode } from '../../firmware/util/utf8';

/** `up`: firmware → server; `down`: server → firmware. */
export type Direction = 'up' | 'down';

/** One datagram as the link sees it: plain CoAP decoded, anything else (DTLS) raw. */
export interface Datagram {
  dir: Direction;
  data: Uint8Array;
  /** CoAP type (0 CON, 1 NON, 2 ACK, 3 RST), -1 when it is not plain CoAP. */
  type: number;
  /** '0.02', '2.04' …; '' when it is not plain CoAP. */
  code: string;
  /** Uri-Path joined with '/', with a leading '/'. */
  path: string;
  /** Message ID; -1 when it is not plain CoAP. */
  mid: number;
}

export interface DropRule {
  what: string;
  match: (d: Datagram) => boolean;
  /** Datagrams still to drop. */
  left: number;
  dropped: Datagram[];
  done: Promise<void>;
  resolve: () => void;
}

/** mulberry32: a small seeded generator, so a lossy run's decisions are the same sequence every time. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function describeDatagram(dir: Direction, data: Uint8Array): Datagram {
  const d = decodeMessage(data);
  if (!d.ok) return { dir, data, type: -1, code: '', path: '', mid: -1 };
  const path = d.message.options.filter((o) => o.number === OptionNumber.URI_PATH).map((o) => utf8Decode(o.value));
  return { dir, data, type: d.message.type, code: codeString(d.message.code), path: `/${path.join('/')}`, mid: d.message.messageId };
}

export class FaultyLink {
  /** Everything dropped, both ways. */
  down = false;
  readonly stats = { up: 0, down: 0, dropped: 0, duplicated: 0 };
  private rules: DropRule[] = [];
  private loss: { rate: number; duplicate: number; random: () => number } | undefined;
  private taps: Array<(d: Datagram) => void> = [];
  /** The transport the server is given. */
  readonly transport: DatagramTransport;

  constructor(private readonly socket: DatagramTransport) {
    const link = this;
    this.transport = {
      onReceive: null,
      send(data, address, port) {
        link.pass(describeDatagram('down', data), () => socket.send(data, address, port));
      },
      // The socket outlives the server that used it: the next case puts a new server on it.
      close() {
        link.transport.onReceive = null;
      },
    };
    socket.onReceive = (data, address, port) => {
      this.pass(describeDatagram('up', data), () => this.transport.onReceive?.(data, address, port));
    };
  }

  /** Back to a clean link: up, no rules, no loss, no taps. */
  reset(): void {
    this.down = false;
    this.rules = [];
    this.loss = undefined;
    this.taps = [];
    this.stats.up = this.stats.down = this.stats.dropped = this.stats.duplicated = 0;
  }

  /** Drops the next `count` datagrams that `match` picks; `done` resolves once they have been dropped. */
  drop(what: string, match: (d: Datagram) => boolean, count = 1): DropRule {
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const rule: DropRule = { what, match, left: count, dropped: [], done, resolve };
    this.rules.push(rule);
    return rule;
  }

  /** Loses `rate` of the datagrams each way and sends `duplicate` of the others twice. */
  lossy(rate: number, duplicate: number, seed: number): void {
    this.loss = { rate, duplicate, random: seeded(seed) };
  }

  /** Sees each datagram before it is forwarded or dropped (synchronously: it may cut the power first). */
  tap(fn: (d: Datagram) => void): void {
    this.taps.push(fn);
  }

  private pass(d: Datagram, forward: () => void): void {
    for (const t of this.taps) t(d);
    this.stats[d.dir]++;
    if (this.down) {
      this.stats.dropped++;
      return;
    }
    const rule = this.rules.find((r) => r.left > 0 && r.match(d));
    if (rule) {
      rule.left--;
      rule.dropped.push(d);
      this.stats.dropped++;
      if (rule.left === 0) rule.resolve();
      return;
    }
    if (this.loss) {
      if (this.loss.random() < this.loss.rate) {
        this.stats.dropped++;
        return;
      }
      if (this.loss.random() < this.loss.duplicate) {
        this.stats.duplicated++;
        setTimeout(forward, 1 + Math.floor(this.loss.random() * 50));
      }
    }
    forward();
  }
}

/** Rules' matchers: a request by method and path, and the answer to one. */
export const isRequest = (dir: Direction, code: string, path: RegExp) => (d: Datagram) =>
  d.dir === dir && d.code === code && path.test(d.path);
/**
 * The piggybacked answer (an ACK) to the first request `request` picks going the other way:
 * a tap on `link` notes that request's message ID.
 */
export function answerTo(link: FaultyLink, request: (d: Datagram) => boolean): (d: Datagram) => boolean {
  let asked: Datagram | undefined;
  link.tap((d) => {
    if (asked === undefined && request(d)) asked = d;
  });
  return (d) => asked !== undefined && d.type === 2 && d.mid === asked.mid && d.dir !== asked.dir;
}
