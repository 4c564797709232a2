// DTLS 1.2 Connection ID (RFC 9146) between our client and our server in
// virtual time: negotiation and opt-outs, the tls12_cid record and its
// additional data, a NAT rebinding that keeps the session (and one that does
// not, without CID), and what must not move a session: forged, replayed or
// old records from elsewhere, unknown CIDs, fuzzed CID records.
import assert from 'node:assert/strict';
import { CipherSuite, ContentType, DTLS_1_2, ExtensionType, HandshakeType } from '../../firmware/dtls/constants';
import { additionalData, encodeRecord, parseRecords } from '../../firmware/dtls/record';
import {
  decodeConnectionIdExtension,
  decodeInnerPlaintext,
  encodeConnectionIdExtension,
  encodeInnerPlaintext,
} from '../../firmware/dtls/connection-id';
import { decodeClientHello, decodeServerHello, findExtension, parseHandshakeFragments } from '../../firmware/dtls/handshake-messages';
import { DEFAULT_SERVER_CID_LENGTH, DtlsTransport } from '../../firmware/dtls/transport';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { fromHex, toHex } from '../../firmware/util/hex';
import { SeededRandom } from '../support/seeded-random';
import { CLIENT, PORTS, SERVER, established, makeRig, sendText, type Rig, type RigOptions } from './helpers';

const NEW_PORT = 41999;
const AT_NEW_PORT = { address: CLIENT.address, port: NEW_PORT };

/** Content types of the records in datagrams one side sent after `from` (CIDs parsed at `cidLength`). */
function typesSent(rig: Rig, fromServer: boolean, from = 0, cidLength = DEFAULT_SERVER_CID_LENGTH): number[] {
  const server = `${SERVER.address}/${SERVER.port}`;
  return rig.net.trace
    .slice(from)
    .filter((d) => (d.from === server) === fromServer)
    .flatMap((d) => parseRecords(d.data, cidLength).records.map((r) => r.type));
}

/** The hello messages' connection_id extensions, as sent. */
function helloCids(rig: Rig): { clientHello: (Uint8Array | null)[]; serverHello: (Uint8Array | null)[] } {
  const clientHello: (Uint8Array | null)[] = [];
  const serverHello: (Uint8Array | null)[] = [];
  for (const d of rig.net.trace) {
    for (const r of parseRecords(d.data, 8).records) {
      if (r.epoch !== 0 || r.type !== ContentType.handshake) continue;
      for (const f of parseHandshakeFragments(r.fragment)) {
        if (f.msgType === HandshakeType.client_hello) {
          const e = findExtension(decodeClientHello(f.fragment).extensions, ExtensionType.connection_id);
          clientHello.push(e ? decodeConnectionIdExtension(e.data) : null);
        } else if (f.msgType === HandshakeType.server_hello) {
          const e = findExtension(decodeServerHello(f.fragment).extensions, ExtensionType.connection_id);
          serverHello.push(e ? decodeConnectionIdExtension(e.data) : null);
        }
      }
    }
  }
  return { clientHello, serverHello };
}

async function exchange(rig: Rig, clientAt = CLIENT): Promise<void> {
  const [sIn, cIn] = [rig.s.data.length, rig.c.data.length];
  sendText(rig.client, `up ${sIn}`, SERVER);
  await rig.clock.runUntil(() => rig.s.data.length > sIn, 1000);
  sendText(rig.server, `down ${cIn}`, clientAt);
  await rig.clock.runUntil(() => rig.c.data.length > cIn, 1000);
  assert.equal(rig.s.data.at(-1)?.text, `up ${sIn}`, 'client → server');
  assert.equal(rig.c.data.at(-1)?.text, `down ${cIn}`, 'server → client');
}

function assertClean(rig: Rig): void {
  for (const t of [rig.client, rig.server]) assert.equal(t.stats.internalErrors, 0);
}

describe('dtls: Connection ID (RFC 9146)', () => {
  describe('wire forms', () => {
    it('the connection_id extension is cid<0..2^8-1>; a trailing byte or a short vector is a decode error', () => {
      assert.equal(toHex(encodeConnectionIdExtension(fromHex('0a0b0c'))), '030a0b0c');
      assert.equal(toHex(encodeConnectionIdExtension(new Uint8Array(0))), '00');
      assert.equal(toHex(decodeConnectionIdExtension(fromHex('020102'))), '0102');
      assert.throws(() => decodeConnectionIdExtension(fromHex('01010203')));
      assert.throws(() => decodeConnectionIdExtension(fromHex('05')));
    });

    it('the tls12_cid header puts the CID between sequence_number and length; epoch 0 or an unexpected CID does not frame', () => {
      const cid = fromHex('c1c2c3c4');
      const rec = encodeRecord(ContentType.tls12_cid, 1, 0x0102030405, fromHex('aabbcc'), DTLS_1_2, cid);
      assert.equal(toHex(rec), '19' + 'fefd' + '0001' + '000102030405' + 'c1c2c3c4' + '0003' + 'aabbcc');
      const { records, reject } = parseRecords(rec, 4);
      assert.equal(reject, null);
      assert.equal(toHex(records[0].cid!), 'c1c2c3c4');
      assert.equal(toHex(records[0].fragment), 'aabbcc');
      assert.equal(parseRecords(rec).reject, 'bad_content_type', 'we issued no CIDs: a tls12_cid record does not frame');
      const epoch0 = encodeRecord(ContentType.tls12_cid, 0, 1, fromHex('aa'), DTLS_1_2, cid);
      assert.equal(parseRecords(epoch0, 4).reject, 'bad_content_type');
      assert.equal(parseRecords(rec.subarray(0, 16), 4).reject, 'truncated');
    });

    it('additional data (§5): 8 × ff, tls12_cid, cid_length, tls12_cid, version, epoch, sequence_number, cid, inner length', () => {
      const ad = additionalData(1, 0x0a0b0c, ContentType.tls12_cid, DTLS_1_2, 0x0123, fromHex('c0ffee'));
      assert.equal(
        toHex(ad),
        'ffffffffffffffff' + '19' + '03' + '19' + 'fefd' + '0001' + '000000 0a0b0c'.replace(' ', '') + 'c0ffee' + '0123',
      );
      assert.equal(toHex(additionalData(1, 5, ContentType.application_data, DTLS_1_2, 3)), '0001000000000005' + '17' + 'fefd' + '0003');
    });

    it('DTLSInnerPlaintext: content, real type, zero padding; all zeros or a type that may not travel inside is refused', () => {
      assert.equal(toHex(encodeInnerPlaintext(fromHex('6869'), ContentType.application_data)), '686917');
      const d = decodeInnerPlaintext(fromHex('6869170000'))!;
      assert.equal(d.type, ContentType.application_data);
      assert.equal(toHex(d.content), '6869');
      assert.equal(decodeInnerPlaintext(fromHex('000000')), null);
      assert.equal(decodeInnerPlaintext(fromHex('')), null);
      assert.equal(decodeInnerPlaintext(fromHex('6819')), null, 'tls12_cid inside');
      assert.equal(decodeInnerPlaintext(fromHex('6814')), null, 'change_cipher_spec is never protected');
      assert.equal(decodeInnerPlaintext(fromHex('15'))!.content.length, 0, 'an empty alert content still has its type');
    });
  });

  describe('negotiation', () => {
    for (const suite of [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256]) {
      for (const { name, crypto } of PORTS) {
        it(`both support it (0x${suite.toString(16)}, ${name}): the client offers an empty CID, the server gives one; the client's records carry it`, async () => {
          const rig = makeRig({ crypto, client: { cipherSuites: [suite] } });
          await established(rig);
          const cids = helloCids(rig);
          assert.deepEqual(
            cids.clientHello.map((c) => c && toHex(c)),
            ['', ''],
          );
          assert.equal(cids.serverHello.length, 1);
          assert.equal(cids.serverHello[0]!.length, DEFAULT_SERVER_CID_LENGTH);
          const given = toHex(cids.serverHello[0]!);
          assert.deepEqual(rig.c.done[0].connectionId, { receive: '', send: given });
          assert.deepEqual(rig.s.done[0].connectionId, { receive: given, send: '' });
          const before = rig.net.trace.length;
          await exchange(rig);
          assert.deepEqual(typesSent(rig, false, before), [ContentType.tls12_cid]);
          assert.deepEqual(typesSent(rig, true, before), [ContentType.application_data]);
          assert.equal(rig.server.stats.cidRecordsIn, 2, 'the Finished and the data');
          assert.equal(rig.client.stats.cidRecordsOut, 2);
          assertClean(rig);
        });
      }
    }

    it('a client CID of its own (connectionIdLength 4): records carry a CID both ways, with either suite', async () => {
      for (const suite of [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256]) {
        const rig = makeRig({ client: { cipherSuites: [suite], connectionIdLength: 4 } });
        await established(rig);
        const info = rig.c.done[0].connectionId!;
        assert.equal(info.receive.length, 8);
        assert.equal(info.send.length, 2 * DEFAULT_SERVER_CID_LENGTH);
        assert.deepEqual(rig.s.done[0].connectionId, { receive: info.send, send: info.receive });
        const before = rig.net.trace.length;
        await exchange(rig);
        assert.deepEqual(typesSent(rig, true, before, 4), [ContentType.tls12_cid]);
        assert.deepEqual(typesSent(rig, false, before), [ContentType.tls12_cid]);
        assert.ok(rig.client.stats.cidRecordsIn >= 2);
        assertClean(rig);
      }
    });

    const optOuts: Array<[string, RigOptions, boolean]> = [
      ['the client opts out: no connection_id in its ClientHello', { client: { connectionId: false } }, false],
      ['the server opts out: no connection_id in its ServerHello', { server: { connectionId: false } }, true],
    ];
    for (const [what, o, offered] of optOuts) {
      it(`${what}; records in the RFC 6347 format both ways, as before`, async () => {
        const rig = makeRig(o);
        await established(rig);
        const cids = helloCids(rig);
        assert.deepEqual(
          cids.clientHello.map((c) => c !== null),
          [offered, offered],
        );
        assert.deepEqual(cids.serverHello, [null]);
        assert.equal(rig.c.done[0].connectionId, null);
        assert.equal(rig.s.done[0].connectionId, null);
        const before = rig.net.trace.length;
        await exchange(rig);
        assert.deepEqual(typesSent(rig, false, before), [ContentType.application_data]);
        assert.equal(rig.client.stats.cidRecordsOut + rig.server.stats.cidRecordsOut, 0);
        assertClean(rig);
      });
    }

    it('a server with connectionIdLength 0 accepts CIDs but gives none: the client sends plain records', async () => {
      const rig = makeRig({ server: { connectionIdLength: 0 } });
      await established(rig);
      assert.deepEqual(rig.c.done[0].connectionId, { receive: '', send: '' });
      const before = rig.net.trace.length;
      await exchange(rig);
      assert.deepEqual(typesSent(rig, false, before, 0), [ContentType.application_data]);
    });

    it('a resumed session negotiates a fresh CID', async () => {
      const rig = makeRig();
      await established(rig);
      const first = rig.s.done[0].connectionId!.receive;
      rig.client.closeSession(SERVER.address, SERVER.port);
      await rig.clock.advance(50);
      sendText(rig.client, 'again', SERVER);
      await rig.clock.runUntil(() => rig.s.done.length === 2 && rig.s.data.length === 1, 10_000);
      assert.equal(rig.s.done[1].resumed, true);
      const second = rig.s.done[1].connectionId!.receive;
      assert.equal(second.length, 2 * DEFAULT_SERVER_CID_LENGTH);
      assert.notEqual(second, first);
      assert.equal(rig.s.data[0].text, 'again');
    });
  });

  describe('a NAT rebinding mid-session', () => {
    it('with CID: no new handshake, data both ways, the server session follows to the new port', async () => {
      const rig = makeRig();
      const moves: string[] = [];
      rig.server.onPeerAddressChanged = (m) => moves.push(`${m.from.port}>${m.to.port}`);
      await established(rig);
      await exchange(rig);
      rig.clientSocket.rebind(NEW_PORT);
      sendText(rig.client, 'from the new port', SERVER);
      await rig.clock.runUntil(() => rig.s.data.length === 2, 1000);
      assert.deepEqual(rig.s.data[1], { text: 'from the new port', ...AT_NEW_PORT });
      assert.deepEqual(moves, [`${CLIENT.port}>${NEW_PORT}`]);
      assert.equal(rig.server.sessionInfo(CLIENT.address, CLIENT.port), null);
      assert.equal(rig.server.sessionInfo(CLIENT.address, NEW_PORT)?.cipherSuite, CipherSuite.TLS_PSK_WITH_AES_128_CCM_8);
      await exchange(rig, AT_NEW_PORT);
      await exchange(rig, AT_NEW_PORT);
      assert.equal(rig.server.stats.peerAddressChanges, 1);
      assert.equal(rig.server.stats.handshakesStarted, 1);
      assert.equal(rig.client.stats.handshakesStarted, 1);
      assert.equal(rig.server.stats.amplificationDrops, 0);
      assertClean(rig);
    });

    it("with a client CID too, and the CBC suite: the same, and the server's records carry the client's CID", async () => {
      const rig = makeRig({
        client: { connectionIdLength: 5, cipherSuites: [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256] },
        server: { connectionIdLength: 8 },
      });
      await established(rig);
      rig.clientSocket.rebind(NEW_PORT);
      await exchange(rig, AT_NEW_PORT);
      assert.equal(rig.server.stats.peerAddressChanges, 1);
      assert.ok(rig.client.stats.cidRecordsIn >= 2);
      assert.equal(rig.server.stats.handshakesStarted, 1);
      assertClean(rig);
    });

    it('without CID (old behaviour): the server drops the records from the new port; a new handshake is needed', async () => {
      const rig = makeRig({ client: { connectionId: false } });
      await established(rig);
      await exchange(rig);
      rig.clientSocket.rebind(NEW_PORT);
      sendText(rig.client, 'lost', SERVER);
      await rig.clock.advance(100);
      assert.equal(rig.s.data.length, 1, 'not delivered');
      assert.ok(rig.server.stats.noSession >= 1);
      // What the client's CoAP layer does once it gives up (DtlsMux.peerUnresponsive): a new handshake from the new port.
      rig.client.closeSession(SERVER.address, SERVER.port);
      sendText(rig.client, 'after a handshake', SERVER);
      await rig.clock.runUntil(() => rig.s.data.length === 2, 10_000);
      assert.deepEqual(rig.s.data[1], { text: 'after a handshake', ...AT_NEW_PORT });
      assert.equal(rig.client.stats.handshakesStarted, 2);
      assert.equal(rig.server.stats.peerAddressChanges, 0);
    });

    it('a move never drops another session that holds the new address: it waits until that one ends', async () => {
      const rig = makeRig();
      await established(rig);
      // A second client at the address the first will move to (a NAT reusing the mapping, or a replay aimed at it).
      const socket = rig.net.bind(CLIENT.address, NEW_PORT);
      const other = new DtlsTransport({
        transport: socket,
        timers: rig.clock,
        random: new SeededRandom(99),
        crypto: nodeCrypto,
        client: { psk: () => ({ identity: 'node-1', key: fromHex('7365637265742d6b65792d3132333435') }) },
      });
      other.connect(SERVER.address, SERVER.port);
      await rig.clock.runUntil(() => rig.s.done.length === 2, 10_000);
      socket.close();
      assert.equal(rig.server.sessionCount, 2);
      rig.clientSocket.rebind(NEW_PORT);
      sendText(rig.client, 'from the taken address', SERVER);
      await rig.clock.runUntil(() => rig.s.data.length === 1, 1000);
      assert.deepEqual(
        rig.s.data[0],
        { text: 'from the taken address', ...CLIENT },
        "authenticated, so delivered, under the session's address",
      );
      assert.equal(rig.server.sessionCount, 2, 'the other session is still there');
      assert.deepEqual(rig.s.closed, []);
      assert.equal(rig.server.stats.peerAddressChanges, 0);
      assert.equal(rig.server.stats.cidMovesRefused, 1);
      assert.match(rig.s.logs.join('\n'), /not moved to 10\.0\.0\.2:41999: another session holds that address/);
      // Once that session has ended, the next record moves the first one.
      rig.server.closeSession(CLIENT.address, NEW_PORT);
      await exchange(rig, AT_NEW_PORT);
      assert.equal(rig.server.stats.peerAddressChanges, 1);
      assert.equal(rig.server.sessionCount, 1);
      assertClean(rig);
    });
  });

  describe('a CID longer than the MTU leaves room for', () => {
    it(`a client asking for a ${100}-byte CID at a server with a 128-byte MTU: the server declines the CID, the handshake completes`, async () => {
      const rig = makeRig({ client: { connectionIdLength: 100 }, server: { mtu: 128, connectionIdLength: 0 } });
      await established(rig);
      assert.equal(rig.s.done[0].connectionId, null, 'no connection_id in the ServerHello');
      assert.equal(rig.server.stats.cidTooLong, 1);
      await exchange(rig);
      assertClean(rig);
    });

    it('a server giving a 100-byte CID to a client with a 128-byte MTU: the client refuses it (illegal_parameter) instead of hanging', async () => {
      const rig = makeRig({ client: { mtu: 128 }, server: { connectionIdLength: 100 } });
      rig.client.connect(SERVER.address, SERVER.port);
      await rig.clock.runUntil(() => rig.c.failed.length === 1, 10_000);
      assert.equal(rig.c.failed[0].alertName, 'illegal_parameter');
      assert.equal(rig.client.stats.cidTooLong, 1);
      assertClean(rig);
    });
  });

  describe('what does not move a session', () => {
    /** A rig with a live CID session and a genuine CID record the server has seen, and one withheld from it (older than the next). */
    async function withRecords(): Promise<{ rig: Rig; seen: Uint8Array; withheld: Uint8Array }> {
      const rig = makeRig();
      await established(rig);
      let before = rig.net.trace.length;
      sendText(rig.client, 'seen', SERVER);
      await rig.clock.runUntil(() => rig.s.data.length === 1, 1000);
      const seen = rig.net.trace[before].data;
      const receiver = rig.serverUdp.onReceive;
      rig.serverUdp.onReceive = null;
      before = rig.net.trace.length;
      sendText(rig.client, 'withheld', SERVER);
      await rig.clock.advance(10);
      const withheld = rig.net.trace[before].data;
      rig.serverUdp.onReceive = receiver;
      sendText(rig.client, 'newest', SERVER);
      await rig.clock.runUntil(() => rig.s.data.length === 2, 1000);
      assert.equal(parseRecords(withheld, DEFAULT_SERVER_CID_LENGTH).records[0].type, ContentType.tls12_cid);
      return { rig, seen, withheld };
    }

    const ELSEWHERE = { address: '10.6.6.6', port: 6666 };

    function assertUnmoved(rig: Rig): void {
      assert.equal(rig.server.stats.peerAddressChanges, 0);
      assert.ok(rig.server.sessionInfo(CLIENT.address, CLIENT.port));
      assert.equal(rig.server.sessionInfo(ELSEWHERE.address, ELSEWHERE.port), null);
    }

    it('a forged CID record from another address (bad MAC): dropped, counted, the session stays', async () => {
      const { rig, withheld } = await withRecords();
      const forged = withheld.slice();
      forged[forged.length - 5] ^= 0x40;
      const out = rig.server.stats.datagramsOut;
      rig.serverUdp.inject(forged, ELSEWHERE);
      assert.equal(rig.server.stats.authFailures, 1);
      assert.equal(rig.server.stats.datagramsOut, out, 'no answer');
      assertUnmoved(rig);
      await exchange(rig);
      assertClean(rig);
    });

    it('a replayed CID record from another address: refused by the replay window, the session stays', async () => {
      const { rig, seen } = await withRecords();
      rig.serverUdp.inject(seen, ELSEWHERE);
      assert.equal(rig.server.stats.replayed, 1);
      assert.equal(rig.s.data.length, 2);
      assertUnmoved(rig);
      await exchange(rig);
    });

    it('a genuine but older CID record from another address (reordered): delivered, yet the session does not move', async () => {
      const { rig, withheld } = await withRecords();
      rig.serverUdp.inject(withheld, ELSEWHERE);
      assert.equal(rig.s.data.at(-1)?.text, 'withheld');
      assert.equal(rig.s.data.at(-1)?.port, CLIENT.port, "seen as the session's peer");
      assertUnmoved(rig);
      await exchange(rig);
    });

    it('a CID record with a CID we never issued: dropped silently (no answer), counted', async () => {
      const { rig, withheld } = await withRecords();
      const out = rig.server.stats.datagramsOut;
      const other = withheld.slice();
      other[11] ^= 0xff; // the first CID byte
      rig.serverUdp.inject(other, ELSEWHERE);
      rig.serverUdp.inject(other, CLIENT);
      assert.equal(rig.server.stats.unknownCid, 2);
      assert.equal(rig.server.stats.datagramsOut, out);
      assert.equal(rig.server.stats.authFailures, 0);
      assertUnmoved(rig);
    });

    it("a plain record where the CID format was negotiated: dropped (the client's records must carry the CID)", async () => {
      const { rig } = await withRecords();
      rig.serverUdp.inject(encodeRecord(ContentType.application_data, 1, 999, new Uint8Array(40)), CLIENT);
      assert.equal(rig.server.stats.unexpected, 1);
      assert.equal(rig.server.stats.authFailures, 0);
      await exchange(rig);
    });

    it("fuzz: 4000 mutated CID records from the session's and other addresses: no exception, no move, the session unharmed", async () => {
      const { rig, seen, withheld } = await withRecords();
      const rnd = new SeededRandom(2024);
      const corpus = [seen, withheld];
      for (let i = 0; i < 4000; i++) {
        const b = corpus[rnd.int(2)].slice();
        const edits = 1 + rnd.int(4);
        let d: Uint8Array = b;
        for (let e = 0; e < edits; e++) {
          switch (rnd.int(7)) {
            case 0:
              b[rnd.int(b.length)] ^= 1 << rnd.int(8);
              break;
            case 1:
              b[5 + rnd.int(6)] = rnd.int(256);
              break; // sequence_number
            case 2:
              b[11 + rnd.int(DEFAULT_SERVER_CID_LENGTH)] = rnd.int(256);
              break; // the CID
            case 3:
              b[17 + rnd.int(2)] = rnd.int(256);
              break; // length
            case 4:
              b[3 + rnd.int(2)] = rnd.int(3);
              break; // epoch
            case 5:
              d = b.subarray(0, rnd.int(b.length + 1));
              break;
            default:
              b[rnd.int(b.length)] = rnd.int(256);
              break;
          }
        }
        rig.serverUdp.inject(d, rnd.int(2) ? CLIENT : { address: `10.7.${rnd.int(4)}.${rnd.int(255)}`, port: 1 + rnd.int(65535) });
      }
      const st = rig.server.stats;
      assert.equal(st.internalErrors, 0);
      assert.equal(st.peerAddressChanges, 0);
      assert.ok(st.authFailures + st.unknownCid + st.badRecords + st.replayed + st.badEpoch + st.unexpected > 3500, JSON.stringify(st));
      assert.equal(rig.server.sessionCount, 1);
      assert.ok(rig.server.sessionInfo(CLIENT.address, CLIENT.port));
      await exchange(rig);
      rig.clientSocket.rebind(NEW_PORT);
      await exchange(rig, AT_NEW_PORT);
      assert.equal(st.peerAddressChanges, 1);
    });
  });

  describe('anti-amplification at a new address (§6)', () => {
    it('until the client is heard again, the server sends no more than its budget there', async () => {
      const rig = makeRig();
      await established(rig);
      rig.clientSocket.rebind(NEW_PORT);
      await exchange(rig, AT_NEW_PORT);
      const got = rig.c.data.length;
      for (let i = 0; i < 20; i++) rig.server.send(new Uint8Array(1000), CLIENT.address, NEW_PORT);
      await rig.clock.advance(50);
      const delivered = rig.c.data.length - got;
      assert.ok(delivered >= 1 && delivered <= 5, `${delivered} datagrams went to the unproven address`);
      assert.equal(rig.server.stats.amplificationDrops, 20 - delivered);
      // Each record from the client there lets an answer through.
      sendText(rig.client, 'still here', SERVER);
      await rig.clock.advance(10);
      rig.server.send(new Uint8Array(1000), CLIENT.address, NEW_PORT);
      await rig.clock.advance(10);
      assert.equal(rig.c.data.length - got, delivered + 1);
    });
  });
});
