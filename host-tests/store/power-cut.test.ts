// Power cut at every byte of every write and during every erase of a commit
// sequence (a ~2 KB bootstrap result, then a registration update); after each
// cut the partition is remounted and must hold exactly the state before or
// after the interrupted commit — never a mix, never nothing — and must keep
// working.

import assert from 'node:assert/strict';
import { RecordStore } from '../../firmware/store/record-store';
import type { Change } from '../../firmware/store/record-store';
import { FaultFlash, MemoryFlash, PowerCut } from '../support/memory-flash';
import type { FaultPlan } from '../support/memory-flash';
import { applyChanges, bootstrapResult, REG_STATE_KEY, registrationUpdate, snapshot, totalSize } from './helpers';
import { encodeAttributeRecord } from '../../firmware/lwm2m/reporting/attribute-records';
import { factoryTree } from '../../firmware/lwm2m/engine/client-options';
import { ATTRIBUTES_KEY, configurationChanges, MANIFEST_KEY, storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { silentLogger } from '../../firmware/platform/ports';
import type { Snapshot } from './helpers';

interface Scenario {
  blockSize: number;
  base: Uint8Array; // image before the sequence
  ops: Change[][];
  states: string[]; // JSON of the state before op 0, after op 0, after op 1 …
  bytes: number; // bytes the sequence writes without a cut
  erases: number; // erases it does without a cut
  compactions: number;
}

const key = (s: Snapshot) => JSON.stringify(s);

function prepare(geometry: { byteLength: number; blockSize: number }, build: (s: RecordStore) => void, ops: Change[][]): Scenario {
  const mem = new MemoryFlash(geometry);
  build(RecordStore.mount(mem));
  const base = mem.image.slice();
  const s0 = snapshot(RecordStore.mount(new MemoryFlash({ blockSize: geometry.blockSize, image: base.slice() })));
  assert.ok(s0.length > 0, 'the old state is not empty');
  const snaps: Snapshot[] = [s0];
  for (const op of ops) snaps.push(applyChanges(snaps[snaps.length - 1], op));
  // Dry run: what the sequence writes and erases when nothing goes wrong.
  const ff = new FaultFlash(new MemoryFlash({ blockSize: geometry.blockSize, image: base.slice() }));
  const store = RecordStore.mount(ff);
  ops.forEach((op, i) => {
    assert.deepEqual(store.commit(op), { ok: true });
    assert.deepEqual(snapshot(store), snaps[i + 1]);
  });
  return {
    blockSize: geometry.blockSize,
    base,
    ops,
    states: snaps.map(key),
    bytes: ff.bytesWritten,
    erases: ff.erases,
    compactions: store.stats.compactions,
  };
}

interface CutOutcome {
  acked: number; // commits answered ok before the cut
  stateIndex: number; // which state the remounted store holds
  image: Uint8Array; // the image right after the cut
}

/** probe: after the remount, also check that a further commit lands and survives another remount. */
function cutAndRemount(sc: Scenario, plan: FaultPlan, probe = true): CutOutcome {
  const mem = new MemoryFlash({ blockSize: sc.blockSize, image: sc.base.slice() });
  const ff = new FaultFlash(mem, plan);
  let acked = 0;
  try {
    const store = RecordStore.mount(ff);
    for (const op of sc.ops) {
      const r = store.commit(op);
      if (!r.ok) {
        assert.equal(r.error, 'flash');
        break;
      }
      acked++;
    }
  } catch (e) {
    if (!(e instanceof PowerCut)) throw e;
  }
  assert.ok(ff.cut, `the planned cut happened (${JSON.stringify(plan)})`);
  const image = mem.image.slice();
  // Reboot: a fresh flash instance over the same image.
  const store = RecordStore.mount(new FaultFlash(mem));
  const after = snapshot(store);
  const stateIndex = sc.states.indexOf(key(after));
  assert.ok(
    stateIndex === acked || stateIndex === acked + 1,
    `plan ${JSON.stringify(plan)}: acked ${acked} commits, state index ${stateIndex} (-1 = a mix or nothing)`,
  );
  if (probe) {
    // Still usable: another commit lands and survives a remount.
    const more = registrationUpdate(4242);
    assert.deepEqual(store.commit(more), { ok: true });
    assert.equal(key(snapshot(RecordStore.mount(mem))), key(applyChanges(after, more)));
  }
  return { acked, stateIndex, image };
}

/** Runs every cut; returns how many cuts ended in each state (index into sc.states). */
function everyCut(sc: Scenario, garbleEvery = 1): number[] {
  const tally = sc.states.map(() => 0);
  const count = (o: CutOutcome) => {
    tally[o.stateIndex]++;
  };
  // Every cut is remounted and checked; every third byte cut also gets the usability probe (time).
  for (let b = 0; b < sc.bytes; b++) {
    count(cutAndRemount(sc, { cutAtByte: b }, b % 3 === 0));
    if (b % garbleEvery === 0) count(cutAndRemount(sc, { cutAtByte: b, garble: true, seed: b + 1 }, b % 3 === 1));
  }
  for (let e = 0; e < sc.erases; e++) {
    for (let seed = 1; seed <= 3; seed++) {
      count(cutAndRemount(sc, { cutAtErase: e, eraseDamage: 'partial', seed }));
      count(cutAndRemount(sc, { cutAtErase: e, eraseDamage: 'garbage', seed }));
    }
  }
  return tally;
}

const OPS = [bootstrapResult(1), registrationUpdate(1)];

/** Small updates until the partition has one free sector and the head less room than `room`. */
function fillUntil(store: RecordStore, room: number): void {
  for (let i = 0; i < 10_000; i++) {
    const u = store.usage();
    if (u.freeSectors === 1 && u.headRoom < room) return;
    assert.deepEqual(store.commit(registrationUpdate(1000 + i)), { ok: true });
  }
  throw new Error('could not reach the wanted fill level');
}

describe('store: power cut at every write byte and every erase', function () {
  this.timeout(60_000);

  it('bootstrap result then update, no compaction (16 KB, 4 sectors)', () => {
    assert.ok(totalSize(OPS[0]) >= 2000, 'the bootstrap result is about 2 KB');
    const sc = prepare(
      { byteLength: 16384, blockSize: 4096 },
      (s) => {
        assert.ok(s.commit(bootstrapResult(0)).ok);
        assert.ok(s.commit(registrationUpdate(0)).ok);
      },
      OPS,
    );
    assert.equal(sc.compactions, 0);
    const t = everyCut(sc);
    assert.equal(t[0] + t[1] + t[2], 2 * sc.bytes + 6 * sc.erases);
    assert.ok(t[0] > 0 && t[1] > 0, `outcomes per state: ${t}`);
  });

  it('the bootstrap commit triggers compaction merged with the transaction (16 KB, 4 sectors)', () => {
    const sc = prepare(
      { byteLength: 16384, blockSize: 4096 },
      (s) => {
        assert.ok(s.commit(bootstrapResult(0)).ok);
        fillUntil(s, 2100);
      },
      OPS,
    );
    assert.ok(sc.compactions >= 1, 'the sequence compacts');
    assert.ok(sc.erases >= 1, 'the sequence erases');
    const t = everyCut(sc);
    assert.ok(t[0] > 0 && t[1] > 0, `outcomes per state: ${t}`);
  });

  it('compaction that cannot merge: plain copy, then a second compaction takes the transaction', () => {
    const sc = prepare(
      { byteLength: 16384, blockSize: 4096 },
      (s) => {
        // A 3000-byte value alone in the oldest sector: it cannot share a sector with the bootstrap result.
        assert.ok(s.commit([{ key: 0x7777, value: new Uint8Array(3000).fill(0x5a) }]).ok);
        assert.ok(s.commit(bootstrapResult(0)).ok);
        fillUntil(s, 2100);
      },
      OPS,
    );
    assert.ok(sc.compactions >= 2, `two compactions (got ${sc.compactions})`);
    everyCut(sc, 2); // garbled variant on every other byte: this sequence writes twice as much
  });

  it('two-sector partition (8 KB): the bootstrap result replaces the old one through compaction', () => {
    const sc = prepare(
      { byteLength: 8192, blockSize: 4096 },
      (s) => {
        assert.ok(s.commit(bootstrapResult(0)).ok);
        fillUntil(s, 2100);
      },
      OPS,
    );
    assert.ok(sc.compactions >= 1);
    everyCut(sc);
  });

  it('a bootstrap commit (configuration and attributes in one commit) under compaction: the old pair or the new pair', () => {
    // Old: servers 101 and 102 with an attribute set each; new: 101 alone, 102's attributes gone with its account.
    const tree = (ssids: number[]) =>
      factoryTree({
        servers: ssids.map((ssid) => ({
          uri: `coaps://lwm2m-${ssid}.example.net:5684`,
          ssid,
          psk: { identity: new Uint8Array(200).fill(ssid), key: new Uint8Array(32).fill(ssid) },
        })),
      });
    const attrs = (ssids: number[]) =>
      encodeAttributeRecord(
        ssids.map((ssid) => ({ ssid, path: { objectId: 1, instanceId: ssid - 101 }, attrs: { pmin: ssid, pmax: 600 } })),
      );
    const build = (s: RecordStore) => {
      assert.ok(storePersistence(s, silentLogger).save(tree([101, 102]), attrs([101, 102])));
      fillUntil(s, 40);
    };
    const model = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
    const modelStore = RecordStore.mount(model);
    build(modelStore);
    const commit = configurationChanges(modelStore, tree([101]), attrs([101]));
    const sc = prepare({ byteLength: 16384, blockSize: 4096 }, build, [commit]);
    assert.ok(sc.compactions >= 1, 'the commit compacts');
    const t = everyCut(sc);
    assert.ok(t[0] > 0 && t[1] > 0, `outcomes per state: ${t}`);
    // The two states the cuts end in are whole pairs: each configuration with its own attributes.
    const pairs = [[101, 102], [101]].map((ssids) => {
      const s = RecordStore.mount(new MemoryFlash({ byteLength: 16384, blockSize: 4096 }));
      assert.ok(storePersistence(s, silentLogger).save(tree(ssids), attrs(ssids)));
      return snapshot(s).filter(([k]) => k <= MANIFEST_KEY || k === ATTRIBUTES_KEY);
    });
    sc.states.forEach((st, i) =>
      assert.deepEqual(
        (JSON.parse(st) as Snapshot).filter(([k]) => k !== REG_STATE_KEY),
        pairs[i],
      ),
    );
  });

  it('a second power cut during the recovery of the first changes nothing either', () => {
    const sc = prepare(
      { byteLength: 16384, blockSize: 4096 },
      (s) => {
        assert.ok(s.commit(bootstrapResult(0)).ok);
        fillUntil(s, 2100);
      },
      OPS,
    );
    let recoveriesCut = 0;
    const firstCuts: FaultPlan[] = [];
    // First cuts: every fourth byte (all bytes are covered above) and every erase.
    for (let b = 0; b < sc.bytes; b += 4) firstCuts.push({ cutAtByte: b });
    for (let e = 0; e < sc.erases; e++) firstCuts.push({ cutAtErase: e, eraseDamage: 'partial', seed: e + 7 });
    for (const plan of firstCuts) {
      const first = cutAndRemount(sc, plan, false);
      // What the recovery mount writes and erases when it runs to the end.
      const dry = new FaultFlash(new MemoryFlash({ blockSize: sc.blockSize, image: first.image.slice() }));
      const recovered = key(snapshot(RecordStore.mount(dry)));
      const second: FaultPlan[] = [];
      for (let b = 0; b < dry.bytesWritten; b++) second.push({ cutAtByte: b, garble: true, seed: b + 3 });
      for (let e = 0; e < dry.erases; e++) second.push({ cutAtErase: e, eraseDamage: 'garbage', seed: e + 5 });
      for (const p2 of second) {
        const mem = new MemoryFlash({ blockSize: sc.blockSize, image: first.image.slice() });
        assert.throws(() => RecordStore.mount(new FaultFlash(mem, p2)), PowerCut);
        assert.equal(key(snapshot(RecordStore.mount(mem))), recovered, `first ${JSON.stringify(plan)}, second ${JSON.stringify(p2)}`);
        recoveriesCut++;
      }
    }
    assert.ok(recoveriesCut > 0, 'some recoveries had work to cut');
  });
});
