// A server's handshake table against strangers who complete the cookie
// exchange (so no spoofing) and then go silent: one host on 50 ports, or 50
// hosts. Each host holds at most its share of the pending handshakes (its own
// oldest gives way), the oldest pending handshake gives way when every slot is
// taken, and a half-open handshake is given up after 15 s; a legitimate new
// client completes its handshake within 2 s of starting it, whatever was
// there before.
import assert from 'node:assert/strict';
import { DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_HANDSHAKES_PER_ADDRESS, DtlsTransport } from '../../firmware/dtls/transport';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import type { DatagramTransport } from '../../firmware/platform/ports';
import { KEY, Observed, SERVER, makeRig, type Rig } from './helpers';

/** A transport that lets only its first `n` sends out: a client that stops after its ClientHello with the cookie. */
function silentAfter(inner: DatagramTransport, n: number): DatagramTransport {
  let sent = 0;
  const t: DatagramTransport = {
    onReceive: null,
    send(d, a, p) {
      if (sent++ < n) inner.send(d, a, p);
    },
    close() {
      inner.close();
    },
  };
  inner.onReceive = (d, a, p) => t.onReceive?.(d, a, p);
  return t;
}

/** Opens a cookie-verified handshake from address:port and leaves it half-open. */
function halfOpen(rig: Rig, address: string, port: number): DtlsTransport {
  const t = new DtlsTransport({
    transport: silentAfter(rig.net.bind(address, port), 2),
    timers: rig.clock,
    random: rig.random,
    crypto: nodeCrypto,
    client: { psk: () => ({ identity: 'stranger', key: KEY }) },
    retransmit: { maxRetransmits: 0 },
  });
  t.connect(SERVER.address, SERVER.port);
  return t;
}

/** A new client's handshake from address:port: ms from its first ClientHello to established, or null when it failed. */
async function legitimate(rig: Rig, address: string, port: number): Promise<number | null> {
  const o = new Observed();
  const t = new DtlsTransport({
    transport: rig.net.bind(address, port),
    timers: rig.clock,
    random: rig.random,
    crypto: nodeCrypto,
    client: { psk: () => ({ identity: 'node-1', key: KEY }) },
  });
  o.attach(t);
  const t0 = rig.clock.now();
  t.connect(SERVER.address, SERVER.port);
  await rig.clock.runUntil(() => o.done.length + o.failed.length > 0, 120_000);
  return o.done.length === 1 ? rig.clock.now() - t0 : null;
}

describe('dtls: a handshake table strangers cannot fill', () => {
  it('50 cookie-verified half-open handshakes from one host: it holds at most its share, a client from elsewhere completes in < 2 s', async () => {
    const rig = makeRig();
    for (let i = 0; i < 50; i++) {
      halfOpen(rig, '10.6.6.6', 20000 + i);
      await rig.clock.advance(10);
    }
    assert.equal(rig.server.stats.handshakesStarted, 50, 'each of the 50 passed the cookie check and opened a handshake');
    assert.equal(rig.server.handshakeCount, DEFAULT_MAX_HANDSHAKES_PER_ADDRESS, 'the host keeps its share, no more');
    assert.equal(rig.server.stats.handshakesEvicted, 50 - DEFAULT_MAX_HANDSHAKES_PER_ADDRESS);
    const ms = await legitimate(rig, '10.0.0.9', 40001);
    assert.ok(ms !== null && ms < 2000, `handshake took ${ms} ms`);
    assert.equal(rig.server.stats.tableFull, 0);
  });

  it('a client on the attacking host itself (another port) completes in < 2 s too', async () => {
    const rig = makeRig();
    for (let i = 0; i < 50; i++) {
      halfOpen(rig, '10.6.6.6', 20000 + i);
      await rig.clock.advance(10);
    }
    const ms = await legitimate(rig, '10.6.6.6', 30000);
    assert.ok(ms !== null && ms < 2000, `handshake took ${ms} ms`);
  });

  it('50 hosts with one half-open handshake each: every slot taken, the oldest gives way, a new client completes in < 2 s', async () => {
    const rig = makeRig();
    for (let i = 0; i < 50; i++) {
      halfOpen(rig, `10.7.0.${i + 1}`, 20000);
      await rig.clock.advance(10);
    }
    assert.equal(rig.server.handshakeCount, DEFAULT_MAX_HANDSHAKES);
    assert.equal(rig.server.stats.handshakesEvicted, 50 - DEFAULT_MAX_HANDSHAKES);
    const ms = await legitimate(rig, '10.0.0.9', 40001);
    assert.ok(ms !== null && ms < 2000, `handshake took ${ms} ms`);
    assert.equal(rig.server.handshakeCount, DEFAULT_MAX_HANDSHAKES - 1, "the client's handshake took the oldest one's slot");
  });

  it('half-open handshakes are gone 15 s after their flight: the table is empty again without any newcomer', async () => {
    const rig = makeRig();
    for (let i = 0; i < 4; i++) halfOpen(rig, `10.7.0.${i + 1}`, 20000);
    await rig.clock.advance(100);
    assert.equal(rig.server.handshakeCount, 4);
    await rig.clock.advance(14_800);
    assert.equal(rig.server.handshakeCount, 4, 'still waiting just before 15 s');
    await rig.clock.advance(200);
    assert.equal(rig.server.handshakeCount, 0);
    assert.equal(rig.server.sessionCount, 0);
  });

  it('maxHandshakesPerAddress is an option (at most maxHandshakes)', async () => {
    const rig = makeRig({ server: { maxHandshakesPerAddress: 1 } });
    for (let i = 0; i < 5; i++) halfOpen(rig, '10.6.6.6', 20000 + i);
    await rig.clock.advance(100);
    assert.equal(rig.server.handshakeCount, 1);
  });
});
