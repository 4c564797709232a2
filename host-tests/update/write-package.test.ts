// LwM2MServer.writePackage: a Firmware Update push of Package (/5/0/0) one
// Block1 block per exchange. A block whose exchange times out is sent again
// (a client answers a block it already has without taking it twice), and a
// client asking for smaller blocks in its 2.31 gets them. Virtual time.
import assert from 'node:assert/strict';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code, OptionNumber, decodeMessage } from '../../firmware/coap/message';
import { getBlock } from '../../firmware/coap/options';
import { silentLogger, type DatagramTransport } from '../../firmware/platform/ports';
import { LwM2MServer, PACKAGE_BLOCK_ATTEMPTS } from '../../host/lwm2m-server';
import { MemoryNetwork } from '../support/memory-network';
import { SeededRandom } from '../support/seeded-random';
import { VirtualClock } from '../support/virtual-clock';

const EP = 'pkg-1';

/**
 * A registered "device": a CoAP endpoint that reassembles Block1 bodies at its
 * own block size (blockSzx; it answers 2.31 in that size, RFC 7959 §2.3), on a
 * link that can drop every transmission of one block for a while.
 */
async function setup(o: { deviceSzx?: number; drop?: { num: number; times: number } }) {
  const clock = new VirtualClock();
  const random = new SeededRandom(5);
  const net = new MemoryNetwork({ clock, random });
  const server = new LwM2MServer({ transport: net.bind('10.0.0.1', 5683), timers: clock, random, log: silentLogger });
  const link = net.bind('10.0.0.2', 56830);
  const requests: Array<{ num: number; szx: number }> = [];
  let dropped = 0;
  // Between the network and the device: notes each Package block, drops those it is told to.
  const filtered: DatagramTransport = { send: (d, a, p) => link.send(d, a, p), onReceive: null, close: () => link.close() };
  link.onReceive = (data, address, port) => {
    const m = decodeMessage(data);
    const b = m.ok && m.message.code === Code.PUT ? getBlock(m.message, OptionNumber.BLOCK1) : undefined;
    if (b) {
      requests.push({ num: b.num, szx: b.szx });
      if (o.drop && b.num === o.drop.num && dropped < o.drop.times) {
        dropped++;
        return;
      }
    }
    filtered.onReceive?.(data, address, port);
  };
  const device = new CoapEndpoint({
    transport: filtered,
    timers: clock,
    random,
    log: silentLogger,
    blockSzx: o.deviceSzx ?? 6,
    maxReassemblySize: 65536,
    // Longer than a lost exchange (MAX_TRANSMIT_WAIT, 93 s) plus the pause: the body waits for the block sent again.
    blockSessionTimeout: 300_000,
  });
  let body: Uint8Array | undefined;
  device.onRequest = (req) => {
    if (req.method !== Code.PUT || req.path.join('/') !== '5/0/0') return { code: Code.NOT_FOUND };
    body = req.payload.slice();
    return { code: Code.CHANGED };
  };
  const registered = device.request(
    { address: '10.0.0.1', port: 5683 },
    { method: Code.POST, path: ['rd'], query: [`ep=${EP}`, 'lt=86400', 'lwm2m=1.1'], payload: new TextEncoder().encode('</5/0>') },
  );
  await clock.advance(10);
  assert.equal((await registered).code, Code.CREATED);
  return { clock, server, requests, body: () => body };
}

describe('LwM2M Server: writePackage (Firmware Update push, block by block)', () => {
  const image = new Uint8Array(10_000).map((_, i) => (i * 31 + (i >> 7)) & 0xff);

  it('follows a client that asks for smaller blocks in its 2.31, and ends with its 2.04', async () => {
    const s = await setup({ deviceSzx: 4 });
    const sent: number[] = [];
    const done = s.server.writePackage(EP, image, { onProgress: (n) => sent.push(n) });
    await s.clock.advance(60_000);
    assert.equal((await done).code, '2.04');
    assert.deepEqual(s.requests[0], { num: 0, szx: 6 });
    assert.ok(
      s.requests.slice(1).every((q) => q.szx === 4),
      'every block after the first is 256 bytes',
    );
    assert.equal(s.requests[1]!.num, 4, 'the second request starts at byte 1024: block 4 of 256');
    assert.deepEqual([...s.body()!], [...image]);
    assert.equal(sent.at(-1), image.length);
  });

  it('sends a block again after its exchange timed out, and the image arrives whole', async () => {
    // Block 3 loses its first exchange (1 + 4 retransmissions): the push pauses and sends it in a new one.
    const s = await setup({ drop: { num: 3, times: 5 } });
    const done = s.server.writePackage(EP, image);
    await s.clock.advance(600_000);
    assert.equal((await done).code, '2.04');
    assert.equal(s.requests.filter((q) => q.num === 3).length, 6, 'five transmissions lost, then a new exchange');
    assert.deepEqual([...s.body()!], [...image]);
  });

  it(`gives up after ${PACKAGE_BLOCK_ATTEMPTS} exchanges of one block went unanswered`, async () => {
    const s = await setup({ drop: { num: 2, times: 1_000 } });
    const done = s.server.writePackage(EP, image).then(
      () => 'resolved',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    await s.clock.advance(3_600_000);
    assert.match(await done, /^CoapTimeoutError/);
    assert.equal(s.requests.filter((q) => q.num === 2).length, PACKAGE_BLOCK_ATTEMPTS * 5);
  });
});
