// Pieces of the LwM2M flow comparison that run identically in V8 and XS:
// the client options both runs use, and a JSON snapshot of the object tree.
import type { ClientOptions } from '../../firmware/lwm2m/engine/client';
import type { ObjectTree } from '../../firmware/lwm2m/objects/object-tree';
import { toHex } from '../../firmware/util/hex';

/** Fixed wall clock and device identity, so Current Time and friends match across engines. */
export const FLOW_EPOCH = 1_700_000_000;

export function flowClientOptions(
  endpointName: string,
  bsUri: string,
): Pick<ClientOptions, 'endpointName' | 'factory' | 'device' | 'wallClock'> {
  return {
    endpointName,
    factory: { bootstrap: { uri: bsUri } },
    device: { manufacturer: 'xs-lwm2m', modelNumber: 'flow', serialNumber: 'S1', firmwareVersion: '1.0' },
    wallClock: { epochSeconds: () => FLOW_EPOCH },
  };
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `hex:${toHex(v)}`;
  if (v instanceof Map) return [...v].sort((a, b) => a[0] - b[0]).map(([k, x]) => [k, plain(x)]);
  return v;
}

/** '/o/i/r' -> value (multiple resources as sorted [id, value] pairs), objects and instances sorted. */
export function snapshotTree(t: ObjectTree): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [oid, insts] of [...t.objects].sort((a, b) => a[0] - b[0])) {
    for (const [iid, res] of [...insts].sort((a, b) => a[0] - b[0])) {
      for (const [rid, v] of [...res].sort((a, b) => a[0] - b[0])) o[`/${oid}/${iid}/${rid}`] = plain(v);
    }
  }
  return o;
}
