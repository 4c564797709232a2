// The record layer: framing and its reject rules, the 64-entry replay
// window, and what a live session does with every kind of bad record
// (RFC 6347 §4.1.2.6-4.1.2.7: dropped silently, counted, session unharmed).
import assert from 'node:assert/strict';
import { ContentType, DTLS_1_0, DTLS_1_2, MAX_CIPHERTEXT_LENGTH } from '../../firmware/dtls/constants';
import { encodeRecord, parseRecords } from '../../firmware/dtls/record';
import { REPLAY_WINDOW_SIZE, ReplayWindow } from '../../firmware/dtls/replay-window';
import { CLIENT, SERVER, established, makeRig, sendText, type Rig } from './helpers';

describe('dtls record layer', () => {
  describe('framing', () => {
    it('splits several records of one datagram, with 48-bit sequence numbers', () => {
      const a = encodeRecord(ContentType.handshake, 0, 5, Uint8Array.of(1, 2, 3));
      const b = encodeRecord(ContentType.application_data, 1, 2 ** 48 - 1, Uint8Array.of(9));
      const { records, reject } = parseRecords(Uint8Array.from([...a, ...b]));
      assert.equal(reject, null);
      assert.deepEqual(
        records.map((r) => [r.type, r.version, r.epoch, r.sequenceNumber, [...r.fragment]]),
        [
          [22, DTLS_1_2, 0, 5, [1, 2, 3]],
          [23, DTLS_1_2, 1, 2 ** 48 - 1, [9]],
        ],
      );
    });

    it('rejects: truncated header, length past the end, unknown type, other versions, record_overflow; keeps the records before', () => {
      const good = encodeRecord(ContentType.alert, 0, 1, Uint8Array.of(1, 0));
      const cases: Array<[string, Uint8Array, string]> = [
        ['short header', good.subarray(0, 12), 'truncated'],
        ['length past the end', good.subarray(0, good.length - 1), 'truncated'],
        ['content type 24', encodeRecord(24, 0, 1, Uint8Array.of(0)), 'bad_content_type'],
        ['content type 19', encodeRecord(19, 0, 1, Uint8Array.of(0)), 'bad_content_type'],
        ['TLS 1.2 version', encodeRecord(ContentType.handshake, 0, 1, Uint8Array.of(0), 0x0303), 'bad_version'],
        ['DTLS 1.0 at epoch 1', encodeRecord(ContentType.application_data, 1, 1, Uint8Array.of(0), DTLS_1_0), 'bad_version'],
        [
          'length over 2^14+2048',
          (() => {
            const r = encodeRecord(ContentType.application_data, 1, 1, new Uint8Array(MAX_CIPHERTEXT_LENGTH + 1));
            return r;
          })(),
          'record_overflow',
        ],
      ];
      for (const [name, bad, reason] of cases) {
        const { records, reject } = parseRecords(Uint8Array.from([...good, ...bad]));
        assert.equal(reject, reason, name);
        assert.equal(records.length, 1, `${name}: the good record before it is kept`);
      }
      assert.equal(
        parseRecords(encodeRecord(ContentType.handshake, 0, 1, Uint8Array.of(0), DTLS_1_0)).reject,
        null,
        'DTLS 1.0 is fine at epoch 0',
      );
    });
  });

  describe('replay window (RFC 6347 §4.1.2.6)', () => {
    it('accepts each new number once, out of order within 64, refuses older ones', () => {
      const w = new ReplayWindow();
      const accept = (n: number): boolean => {
        const ok = w.check(n);
        if (ok) w.mark(n);
        return ok;
      };
      assert.equal(accept(0), true);
      assert.equal(accept(0), false);
      assert.equal(accept(10), true);
      assert.equal(accept(5), true, 'late but in the window');
      assert.equal(accept(5), false);
      assert.equal(accept(100), true);
      assert.equal(accept(100 - REPLAY_WINDOW_SIZE + 1), true, 'the oldest number still in the window');
      assert.equal(accept(100 - REPLAY_WINDOW_SIZE), false, 'just left of the window');
      assert.equal(accept(10), false, 'far left');
      assert.equal(accept(99), true);
      // A jump of more than the window clears it all.
      assert.equal(accept(1000), true);
      for (let n = 1000 - REPLAY_WINDOW_SIZE + 1; n < 1000; n++) assert.equal(w.check(n), true, `${n} unseen`);
      // 48-bit numbers near the top.
      const top = 2 ** 48 - 1;
      assert.equal(accept(top - 1), true);
      assert.equal(accept(top), true);
      assert.equal(accept(top - 1), false);
    });

    it('check does not mark: a record that fails authentication does not move the window', () => {
      const w = new ReplayWindow();
      assert.equal(w.check(7), true);
      assert.equal(w.check(7), true);
      w.mark(7);
      assert.equal(w.check(7), false);
    });

    it('agrees with a set-based model on 20000 random sequences', () => {
      let s = 12345;
      const rnd = (n: number): number => {
        s = (s * 1103515245 + 12345) & 0x7fffffff;
        return s % n;
      };
      const w = new ReplayWindow();
      const seen = new Set<number>();
      let top = -1;
      for (let i = 0; i < 20000; i++) {
        const n = Math.max(0, top + rnd(80) - 70);
        const expected = n > top || (top - n < REPLAY_WINDOW_SIZE && !seen.has(n));
        assert.equal(w.check(n), expected, `step ${i}: ${n} (top ${top})`);
        if (expected) {
          w.mark(n);
          seen.add(n);
          top = Math.max(top, n);
        }
      }
    });
  });

  describe('a live session drops bad records silently and counts them', () => {
    let rig: Rig;
    /** A genuine record the server has already received, and one it has not (withheld on the way). */
    let captured: Uint8Array;
    let unseen: Uint8Array;
    beforeEach(async () => {
      // The RFC 6347 record format (its header edits are what this checks; cid.test.ts has the tls12_cid ones).
      rig = makeRig({ server: { connectionId: false } });
      await established(rig);
      let before = rig.net.trace.length;
      sendText(rig.client, 'genuine', SERVER);
      await rig.clock.runUntil(() => rig.s.data.length === 1, 1000);
      captured = rig.net.trace[before].data;
      assert.equal(parseRecords(captured).records[0].type, ContentType.application_data);
      const receiver = rig.serverUdp.onReceive;
      rig.serverUdp.onReceive = null;
      before = rig.net.trace.length;
      sendText(rig.client, 'withheld', SERVER);
      await rig.clock.advance(10);
      unseen = rig.net.trace[before].data;
      rig.serverUdp.onReceive = receiver;
    });

    function inject(bytes: Uint8Array): void {
      rig.serverUdp.inject(bytes, CLIENT);
    }
    function mutate(f: (b: Uint8Array) => void, from = unseen): Uint8Array {
      const b = from.slice();
      f(b);
      return b;
    }
    async function stillWorks(): Promise<void> {
      sendText(rig.client, 'after', SERVER);
      sendText(rig.server, 'back', CLIENT);
      await rig.clock.advance(10);
      assert.equal(rig.s.data.at(-1)?.text, 'after');
      assert.equal(rig.c.data.at(-1)?.text, 'back');
      assert.equal(rig.server.stats.internalErrors, 0);
    }

    it('a replayed record: replayed, not delivered twice', async () => {
      inject(captured);
      assert.equal(rig.server.stats.replayed, 1);
      assert.equal(rig.s.data.length, 1);
      await stillWorks();
    });

    it('a flipped ciphertext bit, a changed sequence_number, type or length-preserving header edit: authFailures', async () => {
      inject(
        mutate((b) => {
          b[b.length - 3] ^= 0x10;
        }),
      ); // the tag
      inject(
        mutate((b) => {
          b[b.length - 10] ^= 0x01;
        }),
      ); // the ciphertext
      inject(
        mutate((b) => {
          b[10] ^= 0x40;
        }),
      ); // sequence_number (in the AAD)
      inject(
        mutate((b) => {
          b[0] = ContentType.alert;
        }),
      ); // type (in the AAD)
      inject(
        mutate((b) => {
          b[13] ^= 0x01;
        }),
      ); // the explicit nonce
      assert.equal(rig.server.stats.authFailures, 5);
      assert.equal(rig.server.stats.replayed, 0);
      assert.equal(rig.s.data.length, 1);
      inject(unseen);
      assert.equal(rig.s.data.at(-1)?.text, 'withheld', 'the failures did not move the replay window');
      assert.equal(rig.server.sessionCount, 1);
      await stillWorks();
    });

    it('bad version, epoch 2, epoch 0 data or alert after the handshake, truncation: dropped and counted', async () => {
      inject(
        mutate((b) => {
          b[1] = 0x03;
          b[2] = 0x03;
        }),
      );
      inject(
        mutate((b) => {
          b[4] = 2;
        }),
      );
      inject(encodeRecord(ContentType.application_data, 0, 99, Uint8Array.of(1, 2, 3)));
      inject(encodeRecord(ContentType.alert, 0, 100, Uint8Array.of(2, 40))); // an unauthenticated fatal alert
      inject(captured.subarray(0, captured.length - 1));
      inject(new Uint8Array(0));
      const st = rig.server.stats;
      assert.equal(st.badVersion, 1);
      assert.equal(st.badEpoch, 3);
      assert.equal(st.badRecords, 1);
      assert.equal(st.alertsReceived, 0, 'the forged alert never reached the alert layer');
      assert.equal(rig.s.closed.length, 0);
      await stillWorks();
    });

    it('records from an address with no session, and a non-ClientHello at epoch 0: noSession', async () => {
      rig.serverUdp.inject(captured, { address: '10.9.9.9', port: 1 });
      rig.serverUdp.inject(encodeRecord(ContentType.handshake, 0, 0, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), {
        address: '10.9.9.9',
        port: 1,
      });
      assert.equal(rig.server.stats.noSession, 2);
      assert.equal(rig.server.sessionCount, 1);
      await stillWorks();
    });
  });
});
