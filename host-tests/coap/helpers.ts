// Shared fixtures for the CoAP endpoint tests: endpoints on a MemoryNetwork
// in virtual time, and a raw peer that sends hand-made datagrams.
import { CoapEndpoint, type EndpointOptions } from '../../firmware/coap/endpoint';
import { Type, decodeMessage, encodeMessage, type CoapMessage } from '../../firmware/coap/message';
import { silentLogger } from '../../firmware/platform/ports';
import { MemoryNetwork, type LinkConditions } from '../support/memory-network';
import { SeededRandom } from '../support/seeded-random';
import { VirtualClock } from '../support/virtual-clock';

export interface World {
  clock: VirtualClock;
  rnd: SeededRandom;
  net: MemoryNetwork;
  endpoint(address: string, port: number, opts?: Partial<EndpointOptions>): CoapEndpoint;
  raw(address: string, port: number): RawPeer;
}

export function world(seed = 1, link: LinkConditions = {}): World {
  const clock = new VirtualClock();
  const rnd = new SeededRandom(seed);
  const net = new MemoryNetwork({ clock, random: new SeededRandom(seed * 31 + 7), delay: [5, 5], ...link });
  return {
    clock,
    rnd,
    net,
    endpoint: (address, port, opts = {}) =>
      new CoapEndpoint({
        transport: net.bind(address, port),
        timers: clock,
        random: new SeededRandom(rnd.int(1 << 30)),
        log: silentLogger,
        ...opts,
      }),
    raw: (address, port) => new RawPeer(net, address, port),
  };
}

/** A hand-driven peer: sends any bytes, records decoded datagrams it receives. */
export class RawPeer {
  readonly received: { msg: CoapMessage; from: string; port: number }[] = [];
  readonly transport;

  constructor(
    net: MemoryNetwork,
    readonly address: string,
    readonly port: number,
  ) {
    this.transport = net.bind(address, port);
    this.transport.onReceive = (data, from, p) => {
      const d = decodeMessage(data);
      if (d.ok) this.received.push({ msg: d.message, from, port: p });
      else throw new Error(`raw peer got an undecodable datagram: ${d.error}`);
    };
  }

  send(to: { address: string; port: number }, m: CoapMessage | Uint8Array): void {
    this.transport.send(m instanceof Uint8Array ? m : encodeMessage(m), to.address, to.port);
  }

  take(): CoapMessage[] {
    const out = this.received.map((r) => r.msg);
    this.received.length = 0;
    return out;
  }
}

export function message(p: Partial<CoapMessage>): CoapMessage {
  return { type: Type.CON, code: 1, messageId: 1, token: new Uint8Array(0), options: [], payload: new Uint8Array(0), ...p };
}

export function bytesOf(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

export const SERVER = { address: '10.0.0.1', port: 5683 };
export const CLIENT = { address: '10.0.0.2', port: 40000 };
