// What a stranger gets back for a datagram: a repeated peer flight makes us
// resend ours at most once per datagram, not again within half the initial
// timer, never more than 3× the datagram's size, and our last flight only for
// the peer's authenticated Finished; a HelloRequest (or a renegotiating
// ClientHello) is refused with one no_renegotiation per datagram, and only
// when it came protected (RFC 7925 §17); many ClientHellos in one datagram get
// one HelloVerifyRequest.
import assert from 'node:assert/strict';
import { ContentType, HandshakeType } from '../../firmware/dtls/constants';
import { encodeRecord, parseRecords } from '../../firmware/dtls/record';
import { encodeClientHello, encodeHandshakeFragment } from '../../firmware/dtls/handshake-messages';
import type { Connection } from '../../firmware/dtls/connection';
import type { DtlsTransport } from '../../firmware/dtls/transport';
import { CLIENT, SERVER, established, makeRig } from './helpers';

/** Header-only fragments (fragment_length 0) of message `seq`, `count` of them, in one epoch-0 record. */
function repeatedFragments(msgType: number, seq: number, count: number, recordSeq: number): Uint8Array {
  const one = encodeHandshakeFragment(msgType, seq, new Uint8Array(40), 0, 0);
  const body = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) body.set(one, i * one.length);
  return encodeRecord(ContentType.handshake, 0, recordSeq, body);
}

/** A record of epoch 1 sealed with the association's own keys: what only the real peer can send. */
function protectedRecord(t: DtlsTransport, peer: { address: string; port: number }, type: number, plaintext: Uint8Array): Uint8Array {
  const conn = (t as unknown as { connections: Map<string, Connection> }).connections.get(`${peer.address}/${peer.port}`)!;
  return (conn as unknown as { protect(type: number, epoch: number, p: Uint8Array): Uint8Array }).protect(type, 1, plaintext);
}

/** Bytes each side sends, datagram by datagram. */
function sentLog(): { server: number[]; client: number[] } {
  return { server: [], client: [] };
}

describe('dtls: no amplification, no reflection', () => {
  it("a 62 KB datagram of 5,200 repeats of the client's last message makes a half-open server resend its flight once, within 3 × its size", async () => {
    const sent = sentLog();
    const rig = makeRig({
      dropFromClient: (_d, n) => n >= 2,
      dropFromServer: (d) => {
        sent.server.push(d.length);
        return false;
      },
    });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.advance(600);
    const before = sent.server.length;
    // Four records of 1,300 fragments each (a record holds at most 2^14 bytes).
    const records = [0, 1, 2, 3].map((i) => repeatedFragments(HandshakeType.client_hello, 1, 1300, 900 + i));
    const attack = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
    records.reduce((o, r) => {
      attack.set(r, o);
      return o + r.length;
    }, 0);
    assert.ok(attack.length > 62_000);
    rig.serverUdp.inject(attack, CLIENT);
    const answer = sent.server.slice(before);
    assert.equal(answer.length, 1, `${answer.length} datagrams back`);
    assert.ok(answer[0] <= 3 * attack.length);
    assert.equal(rig.server.stats.retransmissions, 1);
  });

  it('a datagram smaller than a third of our flight gets nothing back; a second one within 500 ms neither', async () => {
    const sent = sentLog();
    const rig = makeRig({
      dropFromClient: (_d, n) => n >= 2,
      dropFromServer: (d) => {
        sent.server.push(d.length);
        return false;
      },
    });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.advance(600);
    const before = sent.server.length;
    const small = repeatedFragments(HandshakeType.client_hello, 1, 1, 901);
    assert.equal(small.length, 25);
    rig.serverUdp.inject(small, CLIENT);
    assert.equal(sent.server.length, before, 'a 25-byte datagram does not buy a ServerHello flight');
    assert.equal(rig.server.stats.resendsWithheld, 1);
    rig.serverUdp.inject(repeatedFragments(HandshakeType.client_hello, 1, 20, 902), CLIENT);
    assert.equal(sent.server.length, before + 1, 'a big enough one does');
    await rig.clock.advance(100);
    rig.serverUdp.inject(repeatedFragments(HandshakeType.client_hello, 1, 20, 903), CLIENT);
    assert.equal(sent.server.length, before + 1, 'not again within half the initial timer');
    assert.equal(rig.server.stats.resendsWithheld, 2);
  });

  it("a client waiting for the server's Finished resends flight 5 at most once for a spoofed 1,453-byte datagram of ServerHelloDone repeats", async () => {
    const sent = sentLog();
    // The server's last flight (CCS + Finished) never arrives: the client waits with flight 5 on its timer.
    const rig = makeRig({
      dropFromServer: (d) => parseRecords(d).records[0]?.type === ContentType.change_cipher_spec,
      dropFromClient: (d) => {
        sent.client.push(d.length);
        return false;
      },
    });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.advance(600);
    const before = sent.client.length;
    // ServerHello is message 1 of the server (HelloVerifyRequest 0), ServerHelloDone 2.
    const spoofed = repeatedFragments(HandshakeType.server_hello_done, 2, 119, 500);
    assert.equal(spoofed.length, 1441);
    rig.clientUdp.inject(spoofed, SERVER);
    assert.equal(sent.client.length - before, 1);
  });

  it("our last flight goes again only for the peer's authenticated Finished, not for an epoch-0 fragment that names its message_seq", async () => {
    const sent = sentLog();
    let finals = 0;
    const rig = makeRig({
      dropFromServer: (d) => {
        sent.server.push(d.length);
        return parseRecords(d).records[0]?.type === ContentType.change_cipher_spec && finals++ === 0;
      },
    });
    await established(rig); // the client got the server's last flight the second time (the first was lost)
    const before = sent.server.length;
    await rig.clock.advance(1000);
    // The client's Finished is message 3 (ClientHello 0 and 1, ClientKeyExchange 2).
    for (const type of [HandshakeType.client_hello, HandshakeType.finished, HandshakeType.client_key_exchange]) {
      rig.serverUdp.inject(repeatedFragments(type, 3, 50, 700 + type), CLIENT);
    }
    assert.equal(sent.server.length, before, 'nothing answered in clear');
  });

  it('HelloRequests in clear (1,300 in one datagram) get no alert; a protected one gets one no_renegotiation per datagram', async () => {
    const rig = makeRig();
    await established(rig);
    const alerts = rig.client.stats.alertsSent;
    rig.clientUdp.inject(repeatedFragments(HandshakeType.hello_request, 0, 1300, 800), SERVER);
    assert.equal(rig.client.stats.alertsSent, alerts, 'no alert to anything unauthenticated');
    const hr = encodeHandshakeFragment(HandshakeType.hello_request, 0, new Uint8Array(0));
    const three = new Uint8Array(3 * hr.length);
    for (let i = 0; i < 3; i++) three.set(hr, i * hr.length);
    rig.clientUdp.inject(protectedRecord(rig.server, CLIENT, ContentType.handshake, three), SERVER);
    assert.equal(rig.client.stats.alertsSent, alerts + 1, 'one warning for the datagram');
    await rig.clock.advance(10);
    assert.equal(rig.server.stats.alertsReceived, 1);
    assert.equal(rig.s.closed.length + rig.c.closed.length, 0, 'a warning: the session goes on');
  });

  it('a ClientHello over an established session (renegotiation) is refused with no_renegotiation by the server', async () => {
    const rig = makeRig();
    await established(rig);
    const ch = encodeClientHello({
      clientVersion: 0xfefd,
      random: new Uint8Array(32),
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: [0xc0a8],
      compressionMethods: Uint8Array.of(0),
      extensions: [],
    });
    const alerts = rig.server.stats.alertsSent;
    rig.serverUdp.inject(
      protectedRecord(rig.client, SERVER, ContentType.handshake, encodeHandshakeFragment(HandshakeType.client_hello, 4, ch)),
      CLIENT,
    );
    assert.equal(rig.server.stats.alertsSent, alerts + 1);
    await rig.clock.advance(10);
    assert.equal(rig.client.stats.alertsReceived, 1);
    assert.equal(rig.server.sessionCount, 1);
  });

  it('many ClientHellos in one datagram from a stranger: one HelloVerifyRequest, smaller than the datagram', async () => {
    const sent = sentLog();
    const rig = makeRig({
      dropFromServer: (d) => {
        sent.server.push(d.length);
        return false;
      },
    });
    const ch = encodeClientHello({
      clientVersion: 0xfefd,
      random: new Uint8Array(32).fill(7),
      sessionId: new Uint8Array(0),
      cookie: new Uint8Array(0),
      cipherSuites: [0xc0a8],
      compressionMethods: Uint8Array.of(0),
      extensions: [],
    });
    const rec = encodeRecord(ContentType.handshake, 0, 0, encodeHandshakeFragment(HandshakeType.client_hello, 0, ch));
    const datagram = new Uint8Array(rec.length * 20);
    for (let i = 0; i < 20; i++) datagram.set(rec, i * rec.length);
    rig.serverUdp.inject(datagram, { address: '10.9.9.9', port: 1 });
    assert.equal(sent.server.length, 1);
    assert.ok(sent.server[0] < rec.length);
  });
});
