// Shared fixtures for the store tests: realistic bootstrap results built with
// the object codec, state snapshots, a capturing logger.

import type { Change, RecordStore } from '../../firmware/store/record-store';
import { encodeInstance, instanceKey } from '../../firmware/store/object-codec';
import type { Value } from '../../firmware/store/object-codec';
import type { Logger } from '../../firmware/platform/ports';

/** Key of the registration state record (outside the object-instance key range used here). */
export const REG_STATE_KEY = 0xfffe0001;

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

/**
 * A bootstrap result of about 2 KB: Security (bootstrap + 2 servers, with PSK
 * identities and keys and a certificate-sized blob), Server, ACL instances and
 * writable Device resources. `gen` changes every value.
 */
export function bootstrapResult(gen: number): Change[] {
  const out: Change[] = [];
  const put = (o: number, i: number, r: Map<number, Value | Map<number, Value>>) =>
    out.push({ key: instanceKey(o, i), value: encodeInstance(r) });
  put(
    0,
    0,
    new Map<number, Value | Map<number, Value>>([
      [0, `coaps://bootstrap.example.net:5684/gen${gen}`],
      [1, true],
      [2, 0],
      [3, `bs-identity-${gen}`],
      [5, bytes(32, gen)],
      [10, 0],
      [11, 30],
    ]),
  );
  for (let s = 1; s <= 2; s++) {
    put(
      0,
      s,
      new Map<number, Value | Map<number, Value>>([
        [0, `coaps://lwm2m-${s}.example.net:5684`],
        [1, false],
        [2, 2],
        [3, bytes(300, gen * 10 + s)],
        [4, bytes(300, gen * 20 + s)],
        [5, bytes(200, gen * 30 + s)],
        [10, 100 + s],
        [11, 60],
        [12, 0],
      ]),
    );
    put(
      1,
      s - 1,
      new Map<number, Value | Map<number, Value>>([
        [0, 100 + s],
        [1, 3600 + gen],
        [2, 1],
        [3, 0],
        [5, 86400],
        [6, true],
        [7, 'U'],
        [16, true],
        [17, 5],
        [18, 60],
        [19, 86400],
        [20, 1],
      ]),
    );
  }
  for (let a = 0; a < 3; a++) {
    put(
      2,
      a,
      new Map<number, Value | Map<number, Value>>([
        [0, 3 + a],
        [1, a],
        [
          2,
          new Map<number, Value>([
            [101, 15],
            [102, 1 + (gen % 14)],
            [0, 1],
          ]),
        ],
        [3, 101],
      ]),
    );
  }
  put(
    3,
    0,
    new Map<number, Value | Map<number, Value>>([
      [13, 1_700_000_000 + gen],
      [14, '+01:00'],
      [15, 'Europe/Paris'],
      [16, 'U'],
      [
        6,
        new Map<number, Value>([
          [0, 1],
          [1, 5],
        ]),
      ],
      [99, 12345678901234567890n + BigInt(gen)],
      [98, { objectId: 1, instanceId: gen % 3 }],
      [97, 3.25 * gen],
      [96, null],
    ]),
  );
  return out;
}

/** A small update: the registration state after a Register/Update. */
export function registrationUpdate(n: number): Change[] {
  return [
    {
      key: REG_STATE_KEY,
      value: encodeInstance(
        new Map<number, Value>([
          [0, `/rd/${n.toString(36)}`],
          [1, 3600],
          [2, n],
        ]),
      ),
    },
  ];
}

export type Snapshot = Array<[number, string]>;

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

export function snapshot(store: RecordStore): Snapshot {
  return store.keys().map((k) => [k, hex(store.get(k)!)] as [number, string]);
}

/** The state a list of change sets leads to, computed without any store. */
export function applyChanges(base: Snapshot, changes: Change[]): Snapshot {
  const m = new Map(base);
  for (const c of changes) {
    if (c.value) m.set(c.key, hex(c.value));
    else m.delete(c.key);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (m) => lines.push(`error ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    info: (m) => lines.push(`info ${m}`),
    debug: (m) => lines.push(`debug ${m}`),
  };
}

export function totalSize(changes: Change[]): number {
  return changes.reduce((n, c) => n + (c.value ? c.value.length : 0), 0);
}
