// Resumption is bound to the PSK a session was made with, and to a lifetime:
// after the identity's key changes a session is not resumed (on the server,
// whatever the client offers; on the client, which then does not offer it),
// and a session older than its lifetime is not resumed either.
import assert from 'node:assert/strict';
import { IDENTITY, KEY, SERVER, makeRig, sendText, type Rig } from './helpers';

async function sessionThenClose(rig: Rig, text: string): Promise<void> {
  const n = rig.s.data.length;
  sendText(rig.client, text, SERVER);
  await rig.clock.runUntil(() => rig.s.data.length === n + 1, 10_000);
  const closed = rig.s.closed.length;
  rig.client.closeSession(SERVER.address, SERVER.port);
  await rig.clock.runUntil(() => rig.s.closed.length === closed + 1, 1000);
}

describe('dtls: resumption bound to the key and a lifetime', () => {
  it('both sides have a new key for the identity: the next handshake is a full one with it, not a resumption of the old', async () => {
    const serverKey = KEY.slice();
    const clientKey = KEY.slice();
    const rig = makeRig({ serverKeys: new Map([[IDENTITY, serverKey]]), clientKey });
    await sessionThenClose(rig, 'one');
    serverKey.fill(0x42);
    clientKey.fill(0x42);
    sendText(rig.client, 'two', SERVER);
    await rig.clock.runUntil(() => rig.s.data.length === 2, 10_000);
    assert.equal(rig.c.done[1].resumed, false);
    assert.equal(rig.s.done[1].resumed, false);
    assert.equal(rig.client.stats.handshakesResumed + rig.server.stats.handshakesResumed, 0);
  });

  it("only the server's key changed: it does not resume the session the client offers (and the full handshake fails)", async () => {
    const serverKey = KEY.slice();
    const rig = makeRig({ serverKeys: new Map([[IDENTITY, serverKey]]) });
    await sessionThenClose(rig, 'one');
    serverKey.fill(0x42);
    sendText(rig.client, 'two', SERVER);
    await rig.clock.runUntil(() => rig.c.failed.length === 1, 10_000);
    assert.equal(rig.s.data.length, 1, 'nothing got through on the old session');
    assert.equal(rig.server.stats.handshakesResumed, 0);
    assert.equal(rig.c.failed[0].alertName, 'bad_record_mac');
  });

  it("a session is resumed within its lifetime, not after it (both roles' sessionLifetimeMs)", async () => {
    const rig = makeRig({ server: { sessionLifetimeMs: 60_000 }, client: { sessionLifetimeMs: 600_000 } });
    await sessionThenClose(rig, 'one');
    await rig.clock.advance(30_000);
    await sessionThenClose(rig, 'two');
    assert.equal(rig.s.done[1].resumed, true, "within the server's lifetime");
    await rig.clock.advance(30_000); // 60 s after the full handshake: the server's lifetime is over
    await sessionThenClose(rig, 'three');
    assert.equal(rig.s.done[2].resumed, false, 'the server refused the old session; a full handshake followed');

    const client = makeRig({ client: { sessionLifetimeMs: 60_000 } });
    await sessionThenClose(client, 'one');
    await client.clock.advance(61_000);
    const before = client.net.trace.length;
    await sessionThenClose(client, 'two');
    assert.equal(client.c.done[1].resumed, false);
    // The client did not even offer it: its first ClientHello carries an empty session_id.
    const hello = client.net.trace[before].data;
    assert.equal(hello[13 + 12 + 2 + 32], 0, 'session_id length 0');
  });
});
