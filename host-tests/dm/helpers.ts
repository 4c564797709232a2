// The Device Management tests' client: registered from factory Server
// Accounts (no bootstrap) with the project's LwM2M Server(s), on the one test
// rig (support/rig.ts); and small helpers to write paths, records and links.
import type { ResourceRecord } from '../../firmware/formats';
import { formatPath, parsePath } from '../../firmware/model/path';
import type { Path, Value } from '../../firmware/model/types';
import type { OperationResult } from '../../host/lwm2m-server';
import { openRig, type Rig, type RigOptions } from '../support/rig';

export const DM_ENDPOINT = 'dm-node';

/** A registered client with the Device identity the DM tests read back; Reboot counts in rig.rebooted. */
export function openDm(o: Pick<RigOptions, 'kind' | 'servers' | 'defaults' | 'client'>): Promise<Rig> {
  return openRig({
    ...o,
    bootstrap: 'factory',
    registered: true,
    endpointName: DM_ENDPOINT,
    // The timing tests (reporting) were written against this network: keep it.
    seed: 11,
    netSeed: 12,
    delay: [1, 3],
    device: (rig) => ({
      manufacturer: 'xs-lwm2m',
      modelNumber: 'dm-test',
      serialNumber: 'S-1',
      firmwareVersion: '1.2.3',
      powerSources: [1, 5],
      reboot: () => {
        rig.rebooted++;
      },
    }),
  });
}

export const P = (s: string): Path => parsePath(s)!;
export const rec = (p: string, value: Value): ResourceRecord => ({ path: P(p), value });

/** path → value of the records (of a result, or given), e.g. { '/3/0/0': 'xs-lwm2m' }. */
export function values(r: OperationResult | ResourceRecord[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const x of (Array.isArray(r) ? r : r?.records) ?? []) out[formatPath(x.path)] = x.value;
  return out;
}

/** Links as 'target;name=value;…' strings, in the order the client sent them. */
export function linkList(links: Array<{ target: string; attrs: Array<[string, string | undefined]> }> | undefined): string[] {
  return (links ?? []).map((l) => [l.target, ...l.attrs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`))].join(';'));
}
