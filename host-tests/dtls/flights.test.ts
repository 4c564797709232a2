// Flights in virtual time (RFC 6347 §4.2.4): the retransmission timer
// (1 s, doubling, capped, given up after the bound), retransmission on a
// repeated peer flight, lost last flights, fragmentation with a small MTU
// (§4.2.3), a lossy/duplicating/reordering network, and the bounds of the
// tables and queues.
import assert from 'node:assert/strict';
import { ContentType, HandshakeType, HANDSHAKE_HEADER_LENGTH } from '../../firmware/dtls/constants';
import { parseRecords } from '../../firmware/dtls/record';
import { parseHandshakeFragments } from '../../firmware/dtls/handshake-messages';
import { DtlsTransport } from '../../firmware/dtls/transport';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { utf8Encode } from '../../firmware/util/utf8';
import { CLIENT, Observed, SERVER, established, makeRig, sendText } from './helpers';

function isFinal(d: Uint8Array): boolean {
  // The server's last flight of a full handshake: ChangeCipherSpec + Finished, nothing else.
  const types = parseRecords(d).records.map((r) => r.type);
  return types.length === 2 && types[0] === ContentType.change_cipher_spec;
}

describe('dtls flights, timers and bounds', () => {
  it('retransmits the ClientHello at 1 s, 2 s, 4 s, 8 s, 16 s after each other, then gives up (timeout) at 63 s', async () => {
    const rig = makeRig();
    rig.serverUdp.onReceive = null; // the server is deaf
    sendText(rig.client, 'lost', SERVER);
    await rig.clock.runUntil(() => rig.c.failed.length === 1, 120_000);
    const sent = rig.net.trace.filter((d) => d.from === `${CLIENT.address}/${CLIENT.port}`).map((d) => d.at);
    assert.deepEqual(sent, [0, 1000, 3000, 7000, 15000, 31000]);
    assert.equal(rig.clock.now(), 63000);
    assert.equal(rig.c.failed[0].reason, 'timeout');
    assert.equal(rig.client.stats.retransmissions, 5);
    assert.equal(rig.client.stats.sendDrops, 1);
    assert.equal(rig.client.sessionCount, 0);
    assert.equal(rig.clock.pending, 0, 'no timer left behind');
  });

  it('caps the timer at maxMs and honours maxRetransmits', async () => {
    const rig = makeRig({ client: { retransmit: { initialMs: 500, maxMs: 2000, maxRetransmits: 6 } } });
    rig.serverUdp.onReceive = null;
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.failed.length === 1, 120_000);
    const sent = rig.net.trace.map((d) => d.at);
    assert.deepEqual(
      sent.slice(1).map((t, i) => t - sent[i]),
      [500, 1000, 2000, 2000, 2000, 2000],
    );
  });

  it('a server whose client vanished after ClientHello resends its flight at 1, 2, 4, 8 s, gives up at 15 s and frees the slot', async () => {
    const rig = makeRig({ dropFromClient: (_d, n) => n >= 2 }); // ClientHello, ClientHello+cookie, then silence
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.s.failed.length === 1, 120_000);
    assert.equal(rig.s.failed[0].reason, 'timeout');
    const flights = rig.net.trace.filter((d) => d.from === `${SERVER.address}/${SERVER.port}`).map((d) => d.at);
    // HelloVerifyRequest, then the ServerHello flight and its 3 retransmissions.
    assert.deepEqual(
      flights.slice(2).map((t) => t - flights[1]),
      [1000, 3000, 7000],
    );
    assert.equal(rig.clock.now() - flights[1], 15_000, 'a half-open handshake holds its slot 15 s, not 63 s');
    assert.equal(rig.server.stats.retransmissions, 3);
    assert.equal(rig.server.sessionCount, 0);
    assert.equal(rig.server.handshakeCount, 0);
  });

  it('a lost last flight (server CCS+Finished): the client resends its flight at 1 s, the server answers with its last flight again', async () => {
    let dropped = 0;
    const rig = makeRig({ dropFromServer: (d) => isFinal(d) && dropped++ === 0 });
    await established(rig);
    assert.equal(dropped, 2, 'the second copy went through');
    assert.equal(rig.client.stats.retransmissions, 1);
    assert.equal(rig.server.stats.retransmissions, 1, "the server resent on seeing the client's Finished again");
    assert.equal(rig.clock.now() >= 1000 && rig.clock.now() < 2000, true);
  });

  it("a lost ServerHello flight is resent on the server's timer and on the client's repeated ClientHello", async () => {
    const rig = makeRig({ dropFromServer: (_d, n) => n === 1 }); // 0: HelloVerifyRequest, 1: ServerHello…Done
    await established(rig);
    assert.equal(rig.client.stats.retransmissions >= 1, true);
    assert.equal(rig.server.stats.retransmissions >= 1, true);
  });

  it('a small MTU fragments handshake messages; datagrams stay within it; duplicates and reordering are reassembled', async () => {
    const longIdentity = 'urn:imei:' + '0123456789'.repeat(20);
    const rig = makeRig({
      mtu: 128,
      clientIdentity: longIdentity,
      serverKeys: new Map([[longIdentity, utf8Encode('k'.repeat(32))]]),
      clientKey: utf8Encode('k'.repeat(32)),
      server: { identityHint: 'hint-'.repeat(60) },
      duplicate: 0.2,
      reorder: 0.3,
      delay: [1, 20],
      seed: 3,
    });
    await established(rig, 60_000);
    let fragments = 0;
    for (const d of rig.net.trace) {
      assert.ok(d.data.length <= 128, `datagram of ${d.data.length} bytes`);
      for (const r of parseRecords(d.data).records) {
        if (r.type !== ContentType.handshake || r.epoch !== 0) continue;
        for (const f of parseHandshakeFragments(r.fragment)) if (f.fragment.length < f.length) fragments++;
      }
    }
    assert.ok(fragments >= 6, `${fragments} fragments`);
    assert.equal(rig.hints[0], 'hint-'.repeat(60));
    sendText(rig.client, 'x'.repeat(90), SERVER);
    await rig.clock.runUntil(() => rig.s.data.length === 1, 5000);
    assert.equal(rig.client.stats.authFailures + rig.server.stats.authFailures, 0);
  });

  it('30 % loss, 10 % duplication and reordering: 20 seeded runs all complete, data gets through on retry', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rig = makeRig({
        seed,
        loss: 0.3,
        duplicate: 0.1,
        reorder: 0.2,
        delay: [1, 50],
        client: { retransmit: { maxRetransmits: 10, maxMs: 8000 } },
        server: { retransmit: { maxRetransmits: 10, maxMs: 8000 } },
      });
      await established(rig, 300_000);
      // Application data is not reliable in DTLS (CoAP retransmits above it): send until one arrives.
      for (let i = 0; i < 20 && rig.s.data.length === 0; i++) {
        sendText(rig.client, `ping ${i}`, SERVER);
        await rig.clock.advance(200);
      }
      assert.ok(rig.s.data.length > 0, `seed ${seed}: data`);
      for (const t of [rig.client, rig.server]) {
        assert.equal(t.stats.authFailures + t.stats.internalErrors, 0, `seed ${seed}: ${JSON.stringify(t.stats)}`);
      }
    }
  });

  it('queues at most 8 datagrams / 4096 bytes before the handshake; the rest is dropped and counted', async () => {
    const rig = makeRig();
    for (let i = 0; i < 12; i++) sendText(rig.client, `q${i}`, SERVER);
    rig.client.send(new Uint8Array(5000), SERVER.address, SERVER.port);
    assert.equal(rig.client.stats.sendDrops, 5);
    await rig.clock.runUntil(() => rig.s.data.length === 8, 10_000);
    assert.deepEqual(
      rig.s.data.map((d) => d.text),
      ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7'],
    );
  });

  it('a server with maxHandshakes 2 and maxSessions 3 keeps to them under many clients (cookie exchange first)', async () => {
    const rig = makeRig({ server: { maxHandshakes: 2, maxSessions: 3 } });
    const seen: Observed[] = [];
    for (let i = 0; i < 6; i++) {
      const o = new Observed();
      const t = new DtlsTransport({
        transport: rig.net.bind('10.0.1.' + i, 5000),
        timers: rig.clock,
        random: rig.random,
        crypto: nodeCrypto,
        client: {
          psk: () => ({
            identity: 'node-1',
            key: Uint8Array.from([0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x35]),
          }),
        },
        retransmit: { maxRetransmits: 1 },
      });
      o.attach(t);
      seen.push(o);
      t.connect(SERVER.address, SERVER.port);
    }
    let maxHandshakes = 0;
    let maxSessions = 0;
    await rig.clock.runUntil(() => {
      maxHandshakes = Math.max(maxHandshakes, rig.server.handshakeCount);
      maxSessions = Math.max(maxSessions, rig.server.sessionCount);
      return seen.every((o) => o.done.length + o.failed.length > 0);
    }, 60_000);
    assert.ok(maxHandshakes <= 2 && maxSessions <= 3, `${maxHandshakes} handshakes, ${maxSessions} sessions`);
    const done = seen.filter((o) => o.done.length === 1).length;
    assert.ok(done >= 2 && done <= 3, `${done} completed`);
    assert.ok(rig.server.stats.handshakesEvicted + rig.server.stats.tableFull > 0);
    assert.equal(rig.server.stats.helloVerifyRequests >= 6, true, 'every client got a cookie before any state');
  });

  it('a client that restarts (same address, new state) replaces its old session at the server (RFC 6347 §4.2.8)', async () => {
    const rig = makeRig();
    await established(rig);
    rig.clientUdp.onReceive = null;
    const o = new Observed();
    const restarted = new DtlsTransport({
      transport: rig.clientUdp,
      timers: rig.clock,
      random: rig.random,
      crypto: nodeCrypto,
      client: {
        psk: () => ({
          identity: 'node-1',
          key: Uint8Array.from([0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x35]),
        }),
      },
    });
    o.attach(restarted);
    sendText(restarted, 'after reboot', SERVER);
    await rig.clock.runUntil(() => rig.s.data.length === 1, 10_000);
    assert.equal(rig.s.closed[0].reason, 'replaced');
    assert.equal(rig.s.done.length, 2);
    assert.equal(rig.server.sessionCount, 1);
  });

  it('a duplicated ClientHello+cookie after the session is up does not disturb it', async () => {
    const rig = makeRig();
    await established(rig);
    const hello2 = rig.net.trace.find(
      (d, i) =>
        i > 0 &&
        d.from === `${CLIENT.address}/${CLIENT.port}` &&
        parseRecords(d.data).records[0]?.fragment[0] === HandshakeType.client_hello,
    )!;
    assert.ok(hello2.data.length > 13 + HANDSHAKE_HEADER_LENGTH);
    rig.serverUdp.inject(hello2.data, CLIENT);
    await rig.clock.advance(100);
    assert.equal(rig.s.closed.length, 0);
    sendText(rig.client, 'still here', SERVER);
    await rig.clock.advance(10);
    assert.equal(rig.s.data[0].text, 'still here');
  });
});
