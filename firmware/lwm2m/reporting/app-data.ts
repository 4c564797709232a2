// The application's side of the data model: values it sets (sensor
// readings, Device resources it owns) and the Send operation (Core §5.5.3,
// Transport §6.5.4: client → server POST /dp with SenML).
import type { Peer } from '../../coap/api';
import type { CoapEndpoint } from '../../coap/endpoint';
import { Code, codeString } from '../../coap/message';
import { ContentFormat } from '../../formats/index';
import { parsePath } from '../../model/path';
import type { Path, Value } from '../../model/types';
import type { DeviceManagement } from '../dm/device-management';
import type { ObjectRegistry } from '../objects/object-registry';
import { OBJ, SRV } from '../engine/ids';
import { isMultiple, type ObjectTree } from '../objects/object-tree';

export type SendResult = { ok: true; code: string } | { ok: false; code?: string; reason: string };

/**
 * Set /o/i/r (or /o/i/r/ri) from the application. The instance must exist
 * and the resource be defined; the Security object is not the application's
 * to change here. Observations covering the path are re-evaluated.
 */
export function setValue(
  tree: ObjectTree,
  dm: DeviceManagement,
  objects: ObjectRegistry,
  path: string | Path,
  value: Value | Map<number, Value>,
): boolean {
  const p = typeof path === 'string' ? parsePath(path) : path;
  if (!p || p.resourceId === undefined || p.objectId === OBJ.SECURITY) return false;
  const def = objects.resource(p.objectId!, p.resourceId);
  if (!def || !tree.getInstance(p.objectId!, p.instanceId!)) return false;
  if (p.resourceInstanceId !== undefined) {
    if (!def.multiple || value instanceof Map) return false;
    const cur = tree.get(p.objectId!, p.instanceId!, p.resourceId);
    const m = isMultiple(cur) ? cur : new Map<number, Value>();
    m.set(p.resourceInstanceId, value);
    tree.set(p.objectId!, p.instanceId!, p.resourceId, m);
  } else {
    if (def.multiple !== value instanceof Map) return false;
    tree.set(p.objectId!, p.instanceId!, p.resourceId, value instanceof Map ? new Map(value) : value);
  }
  dm.notifyChanged(p);
  return true;
}

/** Send the values under `paths` to one registered server. */
export async function sendTo(
  endpoint: CoapEndpoint,
  tree: ObjectTree,
  dm: DeviceManagement,
  target: { peer: Peer; ssid: number; serverInstance: number } | undefined,
  paths: Array<string | Path>,
  format: number = ContentFormat.SENML_CBOR,
): Promise<SendResult> {
  if (!target) return { ok: false, reason: 'not registered with that server' };
  if (tree.value(OBJ.SERVER, target.serverInstance, SRV.MUTE_SEND) === true) return { ok: false, reason: 'Send is muted by /1/x/23' };
  const parsed: Path[] = [];
  for (const s of paths) {
    const p = typeof s === 'string' ? parsePath(s) : s;
    if (!p) return { ok: false, reason: `bad path ${String(s)}` };
    parsed.push(p);
  }
  const body = dm.sendPayload(target.ssid, parsed, format);
  if (!body.ok) return { ok: false, code: codeString(body.code), reason: body.reason };
  try {
    const res = await endpoint.request(target.peer, { method: Code.POST, path: ['dp'], contentFormat: format, payload: body.payload });
    return res.code === Code.CHANGED
      ? { ok: true, code: codeString(res.code) }
      : { ok: false, code: codeString(res.code), reason: 'server refused the data' };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
