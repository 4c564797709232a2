// 10,000+ random and mutated datagrams at a live server and a live client
// (and at a server in the middle of other handshakes): no exception escapes,
// every bad record is dropped and counted, the tables and buffers stay
// within their bounds, and the established session still carries data.
import assert from 'node:assert/strict';
import { ContentType } from '../../firmware/dtls/constants';
import { encodeRecord } from '../../firmware/dtls/record';
import { encodeHandshakeFragment } from '../../firmware/dtls/handshake-messages';
import { DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_SESSIONS, DtlsTransport } from '../../firmware/dtls/transport';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { SeededRandom } from '../support/seeded-random';
import { CLIENT, KEY, SERVER, established, makeRig, sendText, type Rig } from './helpers';

/** One fuzzed datagram: random bytes, a mutated genuine datagram, or a plausible record with a random body. */
function fuzzDatagram(rnd: SeededRandom, corpus: Uint8Array[]): Uint8Array {
  const pick = rnd.int(10);
  if (pick === 0) return rnd.bytes(rnd.int(200));
  if (pick <= 2) {
    // A well-framed record header (any type/epoch/version mix) around random bytes.
    const type = [20, 21, 22, 23, rnd.int(256)][rnd.int(5)];
    const epoch = [0, 1, 2, rnd.int(65536)][rnd.int(4)];
    return encodeRecord(type, epoch, rnd.int(1000), rnd.bytes(rnd.int(120)), [0xfefd, 0xfeff, rnd.int(65536)][rnd.int(3)]);
  }
  if (pick === 3) {
    // A handshake record with a plausible header: fragments that overlap, lie about lengths, run ahead.
    const len = rnd.int(3000);
    const off = rnd.int(len + 10);
    const body = rnd.bytes(Math.min(rnd.int(100), Math.max(0, len - off)));
    const hs = encodeHandshakeFragment([1, 2, 3, 12, 14, 16, 20, rnd.int(256)][rnd.int(8)], rnd.int(8), new Uint8Array(len), 0, 0);
    const frag = new Uint8Array(hs.length + body.length);
    frag.set(hs);
    frag[6] = off >>> 16;
    frag[7] = (off >>> 8) & 0xff;
    frag[8] = off & 0xff;
    frag[9] = body.length >>> 16;
    frag[10] = (body.length >>> 8) & 0xff;
    frag[11] = body.length & 0xff;
    frag.set(body, hs.length);
    return encodeRecord(ContentType.handshake, rnd.int(2), rnd.int(1 << 20), frag);
  }
  const src = corpus[rnd.int(corpus.length)];
  const b = src.slice();
  const edits = 1 + rnd.int(4);
  for (let i = 0; i < edits; i++) {
    switch (rnd.int(5)) {
      case 0:
        if (b.length) b[rnd.int(b.length)] ^= 1 << rnd.int(8);
        break;
      case 1:
        if (b.length) b[rnd.int(b.length)] = rnd.int(256);
        break;
      case 2:
        return b.subarray(0, rnd.int(b.length + 1));
      case 3: {
        const extra = rnd.bytes(rnd.int(40));
        const c = new Uint8Array(b.length + extra.length);
        c.set(b);
        c.set(extra, b.length);
        return c;
      }
      default:
        if (b.length > 13) b[5 + rnd.int(6)] = rnd.int(256);
        break; // sequence_number
    }
  }
  return b;
}

function assertBounded(t: DtlsTransport, what: string): void {
  assert.equal(t.stats.internalErrors, 0, `${what}: internal errors`);
  assert.ok(
    t.sessionCount <= DEFAULT_MAX_SESSIONS && t.handshakeCount <= DEFAULT_MAX_HANDSHAKES,
    `${what}: ${t.sessionCount} sessions, ${t.handshakeCount} handshakes`,
  );
  // Per association: 2 KiB of what the peer sent (partial handshake messages, one early record), the pre-handshake queue.
  assert.ok(t.largestHandshakeBuffer <= 2048, `${what}: ${t.largestHandshakeBuffer} bytes of handshake buffers in one association`);
  assert.ok(t.pendingBytes <= t.sessionCount * (2048 + DEFAULT_MAX_QUEUED_BYTES), `${what}: ${t.pendingBytes} bytes pending`);
}

async function stillWorks(rig: Rig, n: number): Promise<void> {
  sendText(rig.client, `c${n}`, SERVER);
  sendText(rig.server, `s${n}`, CLIENT);
  await rig.clock.advance(10);
  assert.equal(rig.s.data.at(-1)?.text, `c${n}`);
  assert.equal(rig.c.data.at(-1)?.text, `s${n}`);
}

describe('dtls fuzz', function () {
  this.timeout(60_000);

  it('10,000 fuzzed datagrams at an established server and client, spoofing the peer and from strangers', async () => {
    const rig = makeRig({ seed: 11 });
    await established(rig);
    await stillWorks(rig, 0);
    const corpus = rig.net.trace.map((d) => d.data);
    const rnd = new SeededRandom(0xf022);
    const strangers = Array.from({ length: 50 }, (_, i) => ({ address: `10.7.0.${i}`, port: 1000 + i }));
    for (let i = 1; i <= 10_000; i++) {
      const d = fuzzDatagram(rnd, corpus);
      const toServer = rnd.int(2) === 0;
      const from = rnd.int(3) === 0 ? strangers[rnd.int(strangers.length)] : toServer ? CLIENT : SERVER;
      (toServer ? rig.serverUdp : rig.clientUdp).inject(d, from);
      if (i % 500 === 0) {
        await rig.clock.advance(5);
        assertBounded(rig.server, `server after ${i}`);
        assertBounded(rig.client, `client after ${i}`);
        await stillWorks(rig, i);
      }
    }
    const st = rig.server.stats;
    assert.ok(
      st.badRecords + st.badVersion + st.badEpoch + st.replayed + st.authFailures + st.noSession + st.unexpected > 4000,
      JSON.stringify(st),
    );
    assert.ok(st.helloVerifyRequests > 0, 'mutated ClientHellos got cookies, not state');
    assert.equal(rig.s.closed.length + rig.c.closed.length, 0, 'no fuzzed datagram ended the session');
  });

  it('fuzz while strangers handshake: some handshakes may fail, nothing throws, the tables drain', async () => {
    const rig = makeRig({ seed: 12 });
    await established(rig);
    const corpus = rig.net.trace.map((d) => d.data);
    const rnd = new SeededRandom(0xbeef);
    const others: DtlsTransport[] = [];
    for (let i = 0; i < 10; i++) {
      const t = new DtlsTransport({
        transport: rig.net.bind(`10.8.0.${i}`, 7000),
        timers: rig.clock,
        random: rig.random,
        crypto: nodeCrypto,
        client: { psk: () => ({ identity: 'node-1', key: KEY }) },
        retransmit: { maxRetransmits: 2 },
      });
      others.push(t);
      t.connect(SERVER.address, SERVER.port);
    }
    for (let i = 1; i <= 3000; i++) {
      const target = rnd.int(4);
      const d = fuzzDatagram(rnd, corpus);
      if (target === 0) rig.clientUdp.inject(d, SERVER);
      else rig.serverUdp.inject(d, target === 1 ? CLIENT : { address: `10.8.0.${rnd.int(10)}`, port: 7000 });
      if (i % 100 === 0) await rig.clock.advance(50);
    }
    await rig.clock.advance(120_000);
    for (const t of [rig.server, rig.client, ...others]) assertBounded(t, 'after');
    assert.equal(rig.server.handshakeCount, 0, 'every handshake ended one way or the other');
    assert.equal(rig.clock.pending, 0, 'no timers left running');
    await stillWorks(rig, 1);
  });
});
