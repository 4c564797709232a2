// Reassembly memory: what unauthenticated epoch-0 fragments can make an
// association hold stays within its role's bounds (1 KiB messages at a client,
// 514 bytes at a server, 1,792 bytes of bodies and bitmaps, every byte
// counted), plus one early record of at most 256 bytes: 2 KiB per association
// whatever the peer sends, at either role and in every state of a handshake.
import assert from 'node:assert/strict';
import { ContentType } from '../../firmware/dtls/constants';
import { encodeRecord } from '../../firmware/dtls/record';
import { encodeHandshakeFragment, type HandshakeFragment } from '../../firmware/dtls/handshake-messages';
import { HandshakeReassembler, REASSEMBLY_LIMITS } from '../../firmware/dtls/reassembly';
import { SeededRandom } from '../support/seeded-random';
import { CLIENT, SERVER, makeRig } from './helpers';

const BOUND = 2048;

function fragment(messageSeq: number, length: number, offset = 0, count = Math.min(16, length - offset), msgType = 2): HandshakeFragment {
  return { msgType, length, messageSeq, fragmentOffset: offset, fragment: new Uint8Array(Math.max(0, count)).fill(7) };
}

/** An epoch-0 record of handshake fragments that each declare `length` and carry `count` bytes at `offset`. */
function bomb(rnd: SeededRandom, firstSeq: number, recordSeq: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) {
    const length = [2048, 1024, 1025, 514, 515, 700, rnd.int(3000)][rnd.int(7)];
    const offset = rnd.int(length);
    const count = Math.min(rnd.int(24), length - offset);
    const f = encodeHandshakeFragment([2, 3, 12, 14, 16, 20][rnd.int(6)], firstSeq + rnd.int(5), new Uint8Array(length), 0, 0);
    const withBody = new Uint8Array(f.length + count);
    withBody.set(f);
    withBody[6] = offset >>> 16;
    withBody[7] = (offset >>> 8) & 0xff;
    withBody[8] = offset & 0xff;
    withBody[9] = count >>> 16;
    withBody[10] = (count >>> 8) & 0xff;
    withBody[11] = count & 0xff;
    parts.push(withBody);
  }
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => {
    body.set(p, o);
    return o + p.length;
  }, 0);
  return encodeRecord(ContentType.handshake, 0, recordSeq, body);
}

describe('dtls: reassembly memory per association', () => {
  it('counts bodies and bitmaps, keeps to its byte budget, and frees what it hands out', () => {
    const r = new HandshakeReassembler(0, REASSEMBLY_LIMITS.client);
    assert.equal(r.add(fragment(0, 800)), 'accepted');
    assert.equal(r.bufferedBytes, 800 + 100, 'the bitmap counts too (one bit a byte)');
    assert.equal(r.add(fragment(1, 1000)), 'dropped', 'past the 1,792-byte budget');
    assert.equal(r.add(fragment(1, 760)), 'accepted');
    assert.equal(r.bufferedBytes, 900 + 855);
    for (let o = 16; o < 800; o += 16) r.add(fragment(0, 800, o));
    assert.equal(r.take()?.body.length, 800);
    assert.equal(r.bufferedBytes, 855);
    r.clear();
    assert.equal(r.bufferedBytes, 0);
  });

  it('each role takes messages up to what it ever receives: 1,024 bytes at a client, 514 at a server', () => {
    const client = new HandshakeReassembler(0, REASSEMBLY_LIMITS.client);
    assert.equal(client.add(fragment(0, 1025)), 'dropped');
    assert.equal(client.add(fragment(0, 1024)), 'accepted');
    const server = new HandshakeReassembler(0, REASSEMBLY_LIMITS.server);
    assert.equal(server.add(fragment(0, 515)), 'dropped');
    assert.equal(server.add(fragment(0, 514)), 'accepted');
  });

  it('a client waiting for the ServerHello flight, bombarded with 400 records of lying fragments "from the server": never over 2 KiB', async () => {
    // The server's ServerHello…Done flight never arrives: the client waits for it.
    const rig = makeRig({ dropFromServer: (_d, n) => n >= 1 });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.advance(10);
    const rnd = new SeededRandom(5);
    let peak = 0;
    for (let i = 0; i < 400; i++) {
      rig.clientUdp.inject(bomb(rnd, 1, 100 + i), SERVER);
      peak = Math.max(peak, rig.client.largestHandshakeBuffer);
    }
    assert.ok(peak > 1024, `the bombs were taken in (${peak} bytes)`);
    assert.ok(peak <= BOUND, `${peak} bytes held`);
    assert.ok(rig.client.stats.reassemblyDrops > 0);
  });

  it('a server waiting for ClientKeyExchange, and one whose session is up, bombarded the same way: never over 2 KiB', async () => {
    for (const stopAfter of [2, 3]) {
      const rig = makeRig({ dropFromClient: (_d, n) => n >= stopAfter });
      rig.client.connect(SERVER.address, SERVER.port);
      await rig.clock.advance(10);
      const rnd = new SeededRandom(stopAfter);
      let peak = 0;
      for (let i = 0; i < 400; i++) {
        rig.serverUdp.inject(bomb(rnd, stopAfter === 2 ? 2 : 3, 100 + i), CLIENT);
        peak = Math.max(peak, rig.server.largestHandshakeBuffer);
      }
      assert.ok(peak <= BOUND, `${peak} bytes held`);
    }
  });

  it('keeps one early epoch-1 record only if it could be a Finished (at most 256 bytes)', async () => {
    // The client has sent its Finished and waits for the server's ChangeCipherSpec, which is lost.
    const rig = makeRig({ dropFromServer: (d, n) => n >= 2 && d[0] === ContentType.change_cipher_spec });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.advance(10);
    rig.clientUdp.inject(encodeRecord(ContentType.handshake, 1, 50, new Uint8Array(1000)), SERVER);
    assert.equal(rig.client.largestHandshakeBuffer, 0, 'a 1,000-byte record is no Finished');
    rig.clientUdp.inject(encodeRecord(ContentType.handshake, 1, 51, new Uint8Array(80)), SERVER);
    assert.equal(rig.client.largestHandshakeBuffer, 80);
  });
});
