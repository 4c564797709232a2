// The retained form of a sleeping client's session (firmware/lwm2m/queue-mode/sleep-state.ts)
// and the DTLS replay window's saved form: what goes in comes back, a damaged
// or foreign state is refused, a state over the capacity is not written, and
// the fingerprint follows the configuration.
import assert from 'node:assert/strict';
import { ReplayWindow } from '../../firmware/dtls/replay-window';
import { factoryTree } from '../../firmware/lwm2m/engine/client-options';
import { configFingerprint, decodeSleepState, encodeSleepState, type SleepState } from '../../firmware/lwm2m/queue-mode/sleep-state';

function sample(): SleepState {
  return {
    fingerprint: 0xdeadbeef,
    nextWakeMs: 29_500,
    mid: 0xfffe,
    observeSeq: 0xabcdef,
    registrations: [{ ssid: 101, location: ['rd', '17'], lifetime: 60, binding: 'UQ', linksCrc: 0x12345678, form: 0, updateIn: 30_000 }],
    observations: [
      {
        ssid: 101,
        relation: { token: Uint8Array.of(1, 2, 3, 4), szx: 6, request: '|1|11:33|11:30|11:39|17:00' },
        paths: ['/3303/0/5700', '/3/0'],
        composite: true,
        format: 112,
        last: [
          ['/3303/0/5700', 21.5],
          ['/3/0/9', 87],
          ['/3/0/1', 'rig'],
          ['/3/0/16', null],
          ['/19/0/0/0', Uint8Array.of(9, 8)],
          ['/3/0/13', 2n ** 60n],
          ['/3/0/99', { objectId: 3, instanceId: 0 }],
          ['/3311/0/5850', true],
        ],
        sentAgo: 12_000,
        conAgo: 90_000,
        evalAgo: 1_000,
        dirty: true,
      },
    ],
    peers: [
      {
        ssid: 101,
        address: '192.168.1.10',
        port: 5684,
        dtls: {
          resumable: {
            sessionId: new Uint8Array(32).fill(7),
            masterSecret: new Uint8Array(48).fill(9),
            cipherSuite: 0xc0a8,
            extendedMasterSecret: true,
            age: 3_600_000,
          },
          session: {
            cipherSuite: 0xc0a8,
            keyBlock: new Uint8Array(40).fill(3),
            writeSequenceNumber: 2 ** 40 + 5,
            readWindow: new ReplayWindow().save(),
            readCid: null,
            writeCid: Uint8Array.of(1, 2, 3, 4, 5, 6),
          },
        },
      },
    ],
  };
}

describe("sleep state: the retained form of a sleeping client's session", () => {
  it('comes back as it went in, every kind of value included, in a few hundred bytes', () => {
    const s = sample();
    const bytes = encodeSleepState(s, 2048)!;
    assert.ok(bytes.length < 512, `${bytes.length} bytes`);
    console.log(`      one server over coaps with a CID, one composite observation of 8 values: ${bytes.length} bytes`);
    assert.deepEqual(decodeSleepState(bytes), s);
  });

  it('is refused when one bit changed, the version differs, or it is cut short', () => {
    const bytes = encodeSleepState(sample(), 2048)!;
    for (let i = 0; i < bytes.length; i += 7) {
      const b = bytes.slice();
      b[i] ^= 0x10;
      assert.equal(decodeSleepState(b), undefined, `bit flipped at ${i}`);
    }
    assert.equal(decodeSleepState(bytes.subarray(0, bytes.length - 1)), undefined);
    assert.equal(decodeSleepState(new Uint8Array(0)), undefined);
  });

  it("is not written over the retained memory's capacity", () => {
    const n = encodeSleepState(sample(), 2048)!.length;
    assert.equal(encodeSleepState(sample(), n - 1), undefined);
    assert.ok(encodeSleepState(sample(), n));
  });

  it('rounds times to whole ms (a clock may give fractions)', () => {
    const s = sample();
    s.observations[0]!.sentAgo = 12.4;
    s.nextWakeMs = 1.6;
    const back = decodeSleepState(encodeSleepState(s, 2048)!)!;
    assert.equal(back.observations[0]!.sentAgo, 12);
    assert.equal(back.nextWakeMs, 2);
  });

  it('has a fingerprint that follows the Security and Server instances and the endpoint name', () => {
    const a = factoryTree({ servers: [{ uri: 'coap://10.0.0.1:5683', ssid: 101, lifetime: 60 }] });
    const b = factoryTree({ servers: [{ uri: 'coap://10.0.0.1:5683', ssid: 101, lifetime: 61 }] });
    assert.equal(
      configFingerprint(a, 'ep'),
      configFingerprint(factoryTree({ servers: [{ uri: 'coap://10.0.0.1:5683', ssid: 101, lifetime: 60 }] }), 'ep'),
    );
    assert.notEqual(configFingerprint(a, 'ep'), configFingerprint(b, 'ep'));
    assert.notEqual(configFingerprint(a, 'ep'), configFingerprint(a, 'ep2'));
  });
});

describe('DTLS replay window: saved and loaded across a sleep', () => {
  it('refuses after loading exactly what it refused before', () => {
    const w = new ReplayWindow();
    for (const n of [0, 1, 2, 5, 70, 71, 100]) w.mark(n);
    const back = new ReplayWindow();
    assert.ok(back.load(w.save()));
    for (let n = 0; n <= 140; n++) assert.equal(back.check(n), w.check(n), `sequence number ${n}`);
    assert.equal(back.isNewest(100), false);
    assert.equal(back.isNewest(101), true);
    const empty = new ReplayWindow();
    const e = new ReplayWindow();
    e.mark(3);
    assert.ok(e.load(empty.save()));
    assert.equal(e.check(0), true, 'an empty window comes back empty');
    assert.equal(e.load(new Uint8Array(15)), false);
  });
});
