// An in-memory datagram network in virtual time: per-datagram loss,
// duplication, delay and reordering decided by a seeded random, so a lossy
// run is reproducible. Datagrams to an unbound address vanish.
import type { DatagramTransport, Random } from '../../firmware/platform/ports';
import type { VirtualClock } from './virtual-clock';

export interface LinkConditions {
  /** Probability a datagram is lost, 0..1. */
  loss?: number;
  /** Probability a datagram is delivered twice, 0..1. */
  duplicate?: number;
  /** Delivery delay range in ms. */
  delay?: [number, number];
  /** Probability a datagram gets an extra delay of up to delay max * 4 (overtaken by later ones). */
  reorder?: number;
}

export interface MemoryNetworkOptions extends LinkConditions {
  clock: VirtualClock;
  random: Random & { int?(n: number): number };
}

export interface Datagram {
  from: string;
  to: string;
  data: Uint8Array;
  at: number;
}

class MemoryTransport implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  closed = false;

  constructor(
    private readonly net: MemoryNetwork,
    readonly address: string,
    readonly port: number,
  ) {}

  send(data: Uint8Array, address: string, port: number): void {
    if (this.closed) return;
    this.net.transmit(this, data.slice(), address, port);
  }

  close(): void {
    this.closed = true;
    this.net.unbind(this);
  }
}

export class MemoryNetwork {
  readonly stats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, vanished: 0, reordered: 0 };
  /** Every datagram sent (before loss), for assertions; bounded by `traceLimit`. */
  readonly trace: Datagram[] = [];
  traceLimit = 10_000;
  /** Optional tap on every datagram handed to the network. */
  onSend: ((d: Datagram) => void) | null = null;
  private readonly clock: VirtualClock;
  private readonly random: Random;
  private readonly bound = new Map<string, MemoryTransport>();
  private conditions: LinkConditions;
  private readonly links = new Map<string, LinkConditions>();

  constructor(opts: MemoryNetworkOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.conditions = { loss: opts.loss ?? 0, duplicate: opts.duplicate ?? 0, delay: opts.delay ?? [1, 1], reorder: opts.reorder ?? 0 };
  }

  bind(address: string, port: number): DatagramTransport & { readonly address: string; readonly port: number } {
    const key = `${address}/${port}`;
    if (this.bound.has(key)) throw new Error(`address in use: ${key}`);
    const t = new MemoryTransport(this, address, port);
    this.bound.set(key, t);
    return t;
  }

  /** @internal */
  unbind(t: MemoryTransport): void {
    const key = `${t.address}/${t.port}`;
    if (this.bound.get(key) === t) this.bound.delete(key);
  }

  /** Change conditions for all links, or for one direction `from` → `to` ("addr/port"). */
  setLink(c: LinkConditions, from?: string, to?: string): void {
    if (from && to) this.links.set(`${from}>${to}`, { ...this.conditions, ...c });
    else this.conditions = { ...this.conditions, ...c };
  }

  /** @internal */
  transmit(src: MemoryTransport, data: Uint8Array, address: string, port: number): void {
    const from = `${src.address}/${src.port}`;
    const to = `${address}/${port}`;
    this.stats.sent++;
    const d: Datagram = { from, to, data, at: this.clock.now() };
    if (this.trace.length < this.traceLimit) this.trace.push(d);
    this.onSend?.(d);
    const c = this.links.get(`${from}>${to}`) ?? this.conditions;
    if (this.random.float() < (c.loss ?? 0)) {
      this.stats.lost++;
      return;
    }
    const copies = this.random.float() < (c.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const [lo, hi] = c.delay ?? [1, 1];
      let delay = lo + this.random.float() * (hi - lo);
      if (this.random.float() < (c.reorder ?? 0)) {
        delay += this.random.float() * hi * 4;
        this.stats.reordered++;
      }
      this.clock.setTimeout(() => this.deliver(src.address, src.port, to, data), delay);
    }
  }

  private deliver(fromAddr: string, fromPort: number, to: string, data: Uint8Array): void {
    const t = this.bound.get(to);
    if (!t || !t.onReceive) {
      this.stats.vanished++;
      return;
    }
    this.stats.delivered++;
    t.onReceive(data.slice(), fromAddr, fromPort);
  }
}
