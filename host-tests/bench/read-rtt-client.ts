// The Node client of `npm run bench read` in a process of its own, as a device
// is to its server: assembled with the Node runtime's ports and codecs, it
// registers with the peer whose port it is given, then tells the bench (IPC)
// it is ready; asked for them, it sends the time it spent inside on each
// request (from the datagram handed up by the UDP port to the answer handed down).
import { assembleDevice } from '../../firmware/lwm2m/engine/device-assembly';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';
import { nodeTlv } from '../../firmware/platform/node/formats';
import { nodeRandom, nodeTimers, nodeWallClock, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';

export class ServiceClock {
  readonly times: number[] = [];
  private started = 0n;

  constructor(private readonly t: UdpTransport) {
    const send = t.send.bind(t);
    t.send = (d, a, p) => {
      if (this.started !== 0n) this.times.push(Number(process.hrtime.bigint() - this.started) / 1e3);
      this.started = 0n;
      send(d, a, p);
    };
  }

  /** Wraps the receive handler the client installed (it does at start). */
  attach(): void {
    const rx = this.t.onReceive!;
    this.t.onReceive = (d, a, p) => {
      this.started = process.hrtime.bigint();
      rx(d, a, p);
    };
  }
}

/** A client of the bench, registered with the peer at `peerPort`. */
export async function benchClient(
  peerPort: number,
): Promise<{ clock: ServiceClock; port: number; registered: () => boolean; stop: () => Promise<void> }> {
  const t = await openUdp({ address: '127.0.0.1', port: 0 });
  const clock = new ServiceClock(t);
  // The Node runtime's codecs (wasm TLV, cbor-x), as host/runtime.ts assembles a device.
  const { client } = assembleDevice(
    {
      transport: t,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      wallClock: nodeWallClock,
      tlv: nodeTlv(silentLogger),
      cbor: createCborXCodec(),
    },
    {
      endpointName: 'bench-read',
      factory: { servers: [{ uri: `coap://127.0.0.1:${peerPort}`, ssid: 1, lifetime: 3000 }] },
    },
  );
  client.start();
  clock.attach();
  return {
    clock,
    port: t.port,
    registered: () => client.state === 'registered',
    stop: async () => {
      await Promise.race([client.stop(), new Promise((r) => setTimeout(r, 200))]);
      t.close();
    },
  };
}

// Started by the bench as a child process: `read-rtt-client.ts <peer port>`.
if (process.send && process.argv[2] !== undefined) {
  const c = await benchClient(Number(process.argv[2]));
  const end = Date.now() + 10_000;
  while (!c.registered() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  process.send({ type: 'ready', registered: c.registered(), port: c.port });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'times') process.send!({ type: 'times', times: c.clock.times });
    if (m.type === 'stop') void c.stop().then(() => process.exit(0));
  });
}
