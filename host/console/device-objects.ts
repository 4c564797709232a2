// What a registered client says it has: its registration links (Core §5.3.1,
// "</1/0>,</3/0>,</3303>;ver=1.1") read as objects and instances.
import type { Link } from '../../firmware/formats';
import { parsePath } from '../../firmware/model/path';
import type { DeviceObjectJson as DeviceObject } from './api-types';

/** Objects and instances of a registration, ascending; the root link `</>` and odd targets are skipped. */
export function deviceObjects(links: readonly Link[]): DeviceObject[] {
  const byId = new Map<number, DeviceObject>();
  for (const l of links) {
    const p = parsePath(l.target);
    if (!p || p.objectId === undefined || p.resourceId !== undefined) continue;
    let o = byId.get(p.objectId);
    if (!o) {
      o = { objectId: p.objectId, instances: [] };
      byId.set(p.objectId, o);
    }
    const ver = l.attrs.find(([k]) => k === 'ver')?.[1];
    if (ver !== undefined) o.version = ver;
    if (p.instanceId !== undefined && !o.instances.includes(p.instanceId)) o.instances.push(p.instanceId);
  }
  for (const o of byId.values()) o.instances.sort((a, b) => a - b);
  return [...byId.values()].sort((a, b) => a.objectId - b.objectId);
}

/** The lowest instance id the client has not announced for `objectId` (what a Create proposes). */
export function freeInstanceId(reg: { links: readonly Link[] } | undefined, objectId: number): number {
  const used = new Set(deviceObjects(reg?.links ?? []).find((o) => o.objectId === objectId)?.instances ?? []);
  let id = 0;
  while (used.has(id)) id++;
  return id;
}
