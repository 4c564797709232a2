// LwM2MServer.serveFile: files for Package URI pulls at coap://<address>:<port>/fw/<name>,
// answered in Block2 blocks of the size the fetcher asks for; the URI names the address
// the client reaches the server at.
import assert from 'node:assert/strict';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code, OptionNumber } from '../../firmware/coap/message';
import { getBlock } from '../../firmware/coap/options';
import { nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { LwM2MServer, localAddressToward } from '../../host/lwm2m-server';

describe('LwM2M Server: files served for pulls', () => {
  let udp: UdpTransport, server: LwM2MServer, peerUdp: UdpTransport, peer: CoapEndpoint;
  const file = new Uint8Array(5000).map((_, i) => (i * 13) & 0xff);

  before(async () => {
    udp = await openUdp({ address: '0.0.0.0', log: silentLogger });
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    peerUdp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    peer = new CoapEndpoint({ transport: peerUdp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  });
  after(() => {
    peer.close();
    peerUdp.close();
    server.close();
  });

  const at = () => ({ address: '127.0.0.1', port: udp.port });

  it("names the route's local address when bound to a wildcard (loopback toward loopback)", async () => {
    assert.equal(await localAddressToward('127.0.0.1'), '127.0.0.1');
    assert.equal(await server.serveFile('fw.img', file), `coap://127.0.0.1:${udp.port}/fw/fw.img`);
  });

  it('names --address (advertise) when given, and refuses an endpoint that is not registered', async () => {
    const s = new LwM2MServer({
      transport: { send() {}, onReceive: null, close() {} },
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      advertise: { address: 'fd00::5', port: 5683 },
    });
    assert.equal(await s.serveFile('a b/../c.img', file), 'coap://[fd00::5]:5683/fw/c.img');
    await assert.rejects(s.fileUri('c.img', 'nobody'), /nobody is not registered/);
    s.close();
  });

  it('answers a GET whole in 1024-byte blocks, or at the block size asked for', async () => {
    const whole = await peer.request(at(), { method: Code.GET, path: ['fw', 'fw.img'] });
    assert.equal(whole.code, Code.CONTENT);
    assert.equal(whole.contentFormat, 42);
    assert.deepEqual(whole.payload, file);
    for (const [num, szx] of [
      [0, 5],
      [3, 5],
      [9, 5],
      [4, 6],
    ] as const) {
      const size = 16 << szx;
      const r = await peer.request(at(), { method: Code.GET, path: ['fw', 'fw.img'], block2: { num, szx } });
      assert.deepEqual(r.payload, file.subarray(num * size, Math.min(file.length, (num + 1) * size)), `block ${num}/${size}`);
      const b = getBlock({ options: r.options } as never, OptionNumber.BLOCK2);
      assert.deepEqual(b && [b.num, b.more, b.size], [num, (num + 1) * size < file.length, size]);
    }
  });

  it('4.04 for a name not served (and once unserved), 4.05 for other methods, 4.06 for another Accept', async () => {
    assert.equal((await peer.request(at(), { method: Code.GET, path: ['fw', 'other.img'] })).code, Code.NOT_FOUND);
    assert.equal(
      (await peer.request(at(), { method: Code.PUT, path: ['fw', 'fw.img'], payload: new Uint8Array(3) })).code,
      Code.METHOD_NOT_ALLOWED,
    );
    assert.equal((await peer.request(at(), { method: Code.GET, path: ['fw', 'fw.img'], accept: 0 })).code, Code.NOT_ACCEPTABLE);
    assert.equal(server.unserveFile('fw.img'), true);
    assert.equal((await peer.request(at(), { method: Code.GET, path: ['fw', 'fw.img'] })).code, Code.NOT_FOUND);
  });
});
