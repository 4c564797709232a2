// Our client against our server over the in-memory network in virtual time:
// full handshakes with each suite, the cookie exchange, application data both
// ways, the identity of a session, resumption, wrong keys, close_notify.
import assert from 'node:assert/strict';
import { CipherSuite, ContentType, HandshakeType } from '../../firmware/dtls/constants';
import { encodeRecord, parseRecords } from '../../firmware/dtls/record';
import { utf8Decode } from '../../firmware/util/utf8';
import { CLIENT, IDENTITY, KEY, PORTS, SERVER, makeRig, sendText } from './helpers';

/** Handshake message types in the epoch-0 records of a datagram (for flight assertions). */
function handshakeTypes(data: Uint8Array): number[] {
  return parseRecords(data)
    .records.filter((r) => r.type === ContentType.handshake && r.epoch === 0)
    .map((r) => r.fragment[0]);
}

describe('dtls: our client and our server in virtual time', () => {
  for (const suite of [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256]) {
    for (const { name, crypto } of PORTS) {
      it(`full handshake with 0x${suite.toString(16)} (${name}), data both ways, identity known to the server`, async () => {
        const rig = makeRig({ crypto, client: { cipherSuites: [suite] } });
        sendText(rig.client, 'hello before the handshake', SERVER);
        await rig.clock.runUntil(() => rig.s.data.length === 1, 10_000);
        assert.deepEqual(rig.s.data, [{ text: 'hello before the handshake', ...CLIENT }]);
        assert.equal(rig.c.done.length, 1);
        assert.equal(rig.s.done.length, 1);
        assert.equal(rig.c.done[0].cipherSuite, suite);
        assert.equal(rig.s.done[0].cipherSuite, suite);
        assert.equal(rig.c.done[0].resumed, false);
        assert.equal(utf8Decode(rig.server.identityOf(CLIENT.address, CLIENT.port)!), IDENTITY);
        assert.equal(utf8Decode(rig.client.identityOf(SERVER.address, SERVER.port)!), IDENTITY);
        sendText(rig.server, 'answer', CLIENT);
        await rig.clock.runUntil(() => rig.c.data.length === 1, 1000);
        assert.deepEqual(rig.c.data, [{ text: 'answer', ...SERVER }]);
        assert.equal(rig.server.stats.helloVerifyRequests, 1);
        for (const t of [rig.client, rig.server]) {
          assert.equal(t.stats.authFailures + t.stats.replayed + t.stats.internalErrors + t.stats.retransmissions, 0);
        }
      });
    }
  }

  it('the flights on a clean link: ClientHello, HelloVerifyRequest, ClientHello+cookie, ServerHello…Done, CKE+CCS+Finished, CCS+Finished', async () => {
    const rig = makeRig();
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.done.length === 1, 10_000);
    const flights = rig.net.trace.map((d) => ({
      from: d.from,
      types: handshakeTypes(d.data),
      records: parseRecords(d.data, 6).records.map((r) => r.type),
    }));
    assert.deepEqual(
      flights.map((f) => f.types),
      [
        [HandshakeType.client_hello],
        [HandshakeType.hello_verify_request],
        [HandshakeType.client_hello],
        [HandshakeType.server_hello, HandshakeType.server_hello_done],
        [HandshakeType.client_key_exchange],
        [],
      ],
    );
    // The server gave the client a CID (RFC 9146): its Finished goes in a tls12_cid record; the client asked for none back.
    assert.deepEqual(flights[4].records, [ContentType.handshake, ContentType.change_cipher_spec, ContentType.tls12_cid]);
    assert.deepEqual(flights[5].records, [ContentType.change_cipher_spec, ContentType.handshake]);
  });

  it('an initial ClientHello with record version {254, 0} (mbedTLS 2.28 with SSL 3.0 as its floor, as Anjay sends it) completes', async () => {
    // Rewrites the record version of every ClientHello record the client sends, as mbedTLS writes it.
    const rig = makeRig({
      dropFromClient: (d) => {
        if (d[0] === ContentType.handshake && d[3] === 0 && d[4] === 0 && d[13] === HandshakeType.client_hello) {
          d[1] = 254;
          d[2] = 0;
        }
        return false;
      },
    });
    sendText(rig.client, 'from an Anjay-style hello', SERVER);
    await rig.clock.runUntil(() => rig.s.data.length === 1, 10_000);
    assert.equal(rig.s.data[0].text, 'from an Anjay-style hello');
    assert.equal(rig.server.stats.helloVerifyRequests, 1, 'the first hello got its cookie, the second opened the handshake');
    assert.equal(rig.server.stats.badVersion, 0);
  });

  it('{254, x} other than 1.0 and 1.2 is for a ClientHello only: on any other epoch-0 record, or at epoch 1, it is dropped', async () => {
    const rig = makeRig({
      dropFromClient: (d) => {
        // The ClientKeyExchange flight (its first record) with {254, 0}: the server never takes it.
        if (d[0] === ContentType.handshake && d[3] === 0 && d[4] === 0 && d[13] === HandshakeType.client_key_exchange) {
          d[1] = 254;
          d[2] = 0;
        }
        return false;
      },
      client: { retransmit: { maxRetransmits: 1 } },
    });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.failed.length === 1, 60_000);
    assert.equal(rig.s.done.length, 0);
    assert.ok(rig.server.stats.badVersion >= 2, `${rig.server.stats.badVersion} dropped`);
    assert.deepEqual(parseRecords(encodeRecord(ContentType.application_data, 1, 1, Uint8Array.of(0), 0xfe00)).reject, 'bad_version');
  });

  it("sends the identity hint in ServerKeyExchange when configured, and the client's callback sees it", async () => {
    const rig = makeRig({ server: { identityHint: 'lwm2m-server' } });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.done.length === 1, 10_000);
    assert.deepEqual(rig.hints, ['lwm2m-server']);
  });

  it('the server picks its preferred suite among those offered; no common suite fails with handshake_failure', async () => {
    const rig = makeRig({
      server: { cipherSuites: [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, CipherSuite.TLS_PSK_WITH_AES_128_CCM_8] },
    });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.done.length === 1, 10_000);
    assert.equal(rig.c.done[0].cipherSuite, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256);

    const none = makeRig({
      server: { cipherSuites: [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256] },
      client: { cipherSuites: [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8] },
    });
    none.client.connect(SERVER.address, SERVER.port);
    await none.clock.runUntil(() => none.c.failed.length === 1, 10_000);
    assert.equal(none.c.failed[0].reason, 'peer_alert');
    assert.equal(none.c.failed[0].alertName, 'handshake_failure');
    assert.equal(none.s.failed[0].reason, 'local_alert');
  });

  it('a wrong key fails the handshake with a fatal alert on both sides; no key in any log line', async () => {
    const wrong = Uint8Array.from(KEY, (b) => b ^ 0x55);
    const rig = makeRig({ clientKey: wrong });
    sendText(rig.client, 'never delivered', SERVER);
    await rig.clock.runUntil(() => rig.c.failed.length === 1 && rig.s.failed.length === 1, 10_000);
    assert.equal(rig.s.failed[0].alertName, 'bad_record_mac');
    assert.equal(rig.c.failed[0].reason, 'peer_alert');
    assert.equal(rig.c.failed[0].alertName, 'bad_record_mac');
    assert.equal(rig.s.data.length, 0);
    assert.equal(rig.server.sessionCount, 0);
    assert.equal(rig.client.sessionCount, 0);
    assert.equal(rig.client.stats.sendDrops, 1, 'the queued datagram is dropped and counted');
    const logs = [...rig.c.logs, ...rig.s.logs].join('\n');
    assert.match(logs, /handshake with 10\.0\.0\.2:40001 failed: local_alert \(bad_record_mac\)/);
    assert.match(logs, /handshake with 10\.0\.0\.1:5684 failed: peer_alert \(bad_record_mac\)/);
    for (const k of [KEY, wrong]) {
      assert.ok(!logs.includes(utf8Decode(k)) && !logs.toLowerCase().includes(Buffer.from(k).toString('hex')), 'no key in the logs');
    }
  });

  it('a server that drops a Finished it cannot verify (no alert): the client times out and its log line says what that likely means', async () => {
    const wrong = Uint8Array.from(KEY, (b) => b ^ 0x55);
    // Alert records (content type 21) from the server are lost: what a silently dropping server looks like.
    const rig = makeRig({ clientKey: wrong, dropFromServer: (d) => d[0] === 21 });
    sendText(rig.client, 'never delivered', SERVER);
    await rig.clock.runUntil(() => rig.c.failed.length === 1, 120_000);
    assert.equal(rig.c.failed[0].reason, 'timeout');
    assert.match(
      rig.c.logs.join('\n'),
      /handshake with 10\.0\.0\.1:5684 failed: timeout: the server never answered our Finished \(wrong PSK or identity\?\)/,
    );
  });

  it('an unknown identity fails exactly as a wrong key does: same datagrams, same sizes, same times, bad_record_mac', async () => {
    const wire = async (o: {
      clientIdentity?: string;
      clientKey?: Uint8Array;
    }): Promise<{ trace: string; alerts: string[]; serverLog: string[] }> => {
      const rig = makeRig({ seed: 3, ...o });
      rig.client.connect(SERVER.address, SERVER.port);
      await rig.clock.runUntil(() => rig.c.failed.length === 1 && rig.s.failed.length === 1, 10_000);
      const trace = rig.net.trace
        .map(
          (d) =>
            `${d.at} ${d.from} ${d.data.length} ${parseRecords(d.data, 6)
              .records.map((r) => r.type)
              .join(',')}`,
        )
        .join('\n');
      return { trace, alerts: [rig.c.failed[0].alertName!, rig.s.failed[0].alertName!], serverLog: rig.s.logs };
    };
    // "node-9" is as long as the known "node-1", so the ClientKeyExchange is the same size.
    const unknown = await wire({ clientIdentity: 'node-9' });
    const wrongKey = await wire({ clientKey: Uint8Array.from(KEY, (b) => b ^ 0x55) });
    assert.deepEqual(unknown.alerts, ['bad_record_mac', 'bad_record_mac']);
    assert.deepEqual(unknown.alerts, wrongKey.alerts);
    assert.equal(unknown.trace, wrongKey.trace, 'nothing on the wire tells the two apart');
    // The operator's log says which it was.
    assert.match(unknown.serverLog.join('\n'), /failed: local_alert \(bad_record_mac\): PSK identity "node-9" is unknown here/);
    assert.doesNotMatch(wrongKey.serverLog.join('\n'), /unknown here/);
  });

  it('close_notify from the client ends the session on both sides; the next send resumes with an abbreviated handshake', async () => {
    const rig = makeRig();
    sendText(rig.client, 'one', SERVER);
    await rig.clock.runUntil(() => rig.s.data.length === 1, 10_000);
    assert.equal(rig.client.closeSession(SERVER.address, SERVER.port), true);
    await rig.clock.runUntil(() => rig.s.closed.length === 1, 1000);
    assert.equal(rig.c.closed[0].reason, 'local_close');
    assert.equal(rig.s.closed[0].reason, 'close_notify');
    assert.equal(rig.server.sessionCount, 0);
    assert.equal(rig.client.sessionCount, 0);
    assert.equal(rig.server.identityOf(CLIENT.address, CLIENT.port), null);

    const before = rig.net.trace.length;
    sendText(rig.client, 'two', SERVER);
    await rig.clock.runUntil(() => rig.s.data.length === 2, 10_000);
    assert.equal(rig.s.data[1].text, 'two');
    assert.equal(rig.c.done[1].resumed, true);
    assert.equal(rig.s.done[1].resumed, true);
    assert.equal(rig.client.stats.handshakesResumed, 1);
    assert.equal(utf8Decode(rig.server.identityOf(CLIENT.address, CLIENT.port)!), IDENTITY);
    // ClientHello, HelloVerifyRequest, ClientHello, ServerHello+CCS+Finished, then CCS+Finished and the data that
    // waited in one datagram (our Finished ends the handshake, the server's is verified; the data cannot overtake it).
    // A resumption negotiates a new CID too: the client's epoch-1 records carry it (25).
    const resumed = rig.net.trace.slice(before).map((d) => parseRecords(d.data, 6).records.map((r) => r.type));
    assert.deepEqual(resumed, [[22], [22], [22], [22, 20, 22], [20, 25, 25]]);
  });

  it('close_notify from the server ends the session at the client too; close() closes every session', async () => {
    const rig = makeRig();
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.done.length === 1, 10_000);
    rig.server.closeSession(CLIENT.address, CLIENT.port);
    await rig.clock.runUntil(() => rig.c.closed.length === 1, 1000);
    assert.equal(rig.c.closed[0].reason, 'close_notify');
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.done.length === 2, 10_000);
    rig.client.close();
    await rig.clock.runUntil(() => rig.s.closed.length === 2, 1000);
    assert.equal(rig.s.closed[1].reason, 'close_notify');
    assert.equal(rig.server.sessionCount, 0);
  });

  it('callbacks that throw (psk, pskKey, onReceive, events) fail the handshake or are logged; nothing escapes', async () => {
    const explode = (): never => {
      throw new Error('application bug');
    };
    // The rig's pskKey looks the identity up in this map: make the lookup throw.
    const rig = makeRig({
      serverKeys: new (class extends Map<string, Uint8Array> {
        override get = explode;
      })(),
    });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.failed.length === 1, 10_000);
    assert.equal(rig.c.failed[0].alertName, 'bad_record_mac', 'taken as an unknown identity');
    assert.equal(rig.server.stats.internalErrors, 0);
    assert.ok(rig.s.logs.some((l) => l.startsWith('E dtls: the pskKey callback threw')));

    const rig2 = makeRig();
    rig2.server.onReceive = explode;
    rig2.server.onHandshakeDone = explode;
    sendText(rig2.client, 'x', SERVER);
    await rig2.clock.runUntil(() => rig2.c.done.length === 1, 10_000);
    await rig2.clock.advance(10);
    assert.equal(rig2.server.stats.internalErrors, 0);
    assert.equal(rig2.s.logs.filter((l) => l.startsWith('E dtls:')).length, 2);
    assert.equal(rig2.server.sessionCount, 1);
  });
});
