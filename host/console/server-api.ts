// The console's API over the LwM2M Server: devices, every Device Management
// and Information Reporting operation the server has, observations, Send data.
// Input is checked here (paths, formats, values against the resource type)
// and answered 400 with the reason before anything reaches a device.
import type { ResourceRecord } from '../../firmware/formats';
import { formatPath, pathDepth } from '../../firmware/model/path';
import type { Path } from '../../firmware/model/types';
import type { LwM2MServer } from '../lwm2m-server';
import type { DiscoverJson } from './api-types';
import { DeviceLog } from './device-log';
import { freeInstanceId } from './device-objects';
import type { EventStream } from './event-stream';
import { ApiError, field, type Json } from './http';
import { Observations } from './observations';
import { resultJson } from './results';
import { codeName, COMPOSITE_FORMATS, FORMAT_IDS, isSuccess } from './terms';
import { checkPath, parseTyped, pathLabel, type Checked } from './typed-values';

function must<T>(c: Checked<T>): T {
  if (!c.ok) throw new ApiError(400, c.reason);
  return c.value;
}

const pathOf = (body: Json, name = 'path'): Path => must(checkPath(field(body, name, 'string')));

function formatOf(body: Json, allowed: readonly string[] = Object.keys(FORMAT_IDS)): number | undefined {
  const f = field(body, 'format', 'string', false) as string | undefined;
  if (f === undefined) return undefined;
  if (!allowed.includes(f)) throw new ApiError(400, `"format" must be one of ${allowed.join(', ')}`);
  return FORMAT_IDS[f];
}

function pathsOf(body: Json): string[] {
  const list = field(body, 'paths', 'array') as unknown[];
  if (list.length === 0 || list.length > 64) throw new ApiError(400, '"paths" must list 1 to 64 paths');
  return list.map((p) => formatPath(must(checkPath(p))));
}

/** { "<rid>": value, … } under an instance, each value checked against its resource's type. */
function instanceRecords(base: Path, body: Json): ResourceRecord[] {
  const values = Object.entries(field(body, 'values', 'object') as Json);
  if (values.length === 0) throw new ApiError(400, '"values" must name at least one resource');
  return values.map(([rid, v]) => {
    if (!/^\d{1,5}$/.test(rid) || Number(rid) > 65534) throw new ApiError(400, `"${rid}" in "values" is not a resource id`);
    const path = { ...base, resourceId: Number(rid) };
    return { path, value: must(parseTyped(path, v)) };
  });
}

export class ServerApi {
  readonly devices: DeviceLog;
  readonly observations: Observations;

  constructor(
    private readonly server: LwM2MServer,
    stream: EventStream,
  ) {
    this.devices = new DeviceLog(server, stream);
    this.observations = new Observations(server, stream);
  }

  /** The answer to /api/<parts>, or undefined when no route here matches. */
  async handle(method: string, parts: string[], query: URLSearchParams, body: () => Promise<Json>): Promise<unknown> {
    const [what, id, op, ...more] = parts;
    if (what === 'devices') {
      if (id === undefined && method === 'GET') return this.devices.list();
      if (id !== undefined && op === undefined && method === 'GET') return this.devices.get(id) ?? notFound(`no device ${id}`);
      if (id !== undefined && op !== undefined && more.length === 0) {
        if (method !== 'POST') throw new ApiError(405, `${op} is a POST`);
        const run = this.operations[op];
        if (!run) throw new ApiError(404, `no operation "${op}": one of ${Object.keys(this.operations).join(', ')}`);
        const b = await body();
        if (!this.server.clients.has(id)) throw new ApiError(404, `${id} is not registered`);
        return run(id, b);
      }
    }
    if (what === 'observations') {
      if (id === undefined && method === 'GET') return this.observations.list();
      if (id !== undefined && op === undefined && method === 'DELETE') {
        await this.observations.cancel(id, query.get('passive') === '1' || query.get('passive') === 'true');
        return { cancelled: id };
      }
    }
    if (what === 'sends' && id === undefined && method === 'GET') return this.devices.sends;
    return undefined;
  }

  private readonly operations: Record<string, (ep: string, b: Json) => Promise<unknown>> = {
    read: async (ep, b) => resultJson(await this.server.read(ep, formatPath(pathOf(b)), formatOf(b))),
    write: async (ep, b) => {
      const p = pathOf(b);
      const depth = pathDepth(p);
      const format = formatOf(b);
      if (depth >= 3) {
        if (b.value === undefined) throw new ApiError(400, '"value" is missing');
        return resultJson(await this.server.write(ep, formatPath(p), must(parseTyped(p, b.value)), { format }));
      }
      if (depth === 2) {
        const replace = (field(b, 'replace', 'boolean', false) as boolean | undefined) ?? false;
        return resultJson(await this.server.write(ep, formatPath(p), instanceRecords(p, b), { format, replace }));
      }
      throw new ApiError(400, 'Write names a resource (/o/i/r) or an object instance (/o/i)');
    },
    execute: async (ep, b) => {
      const p = pathOf(b);
      if (pathDepth(p) !== 3) throw new ApiError(400, 'Execute names a resource (/o/i/r)');
      return resultJson(await this.server.execute(ep, formatPath(p), (field(b, 'args', 'string', false) as string | undefined) ?? ''));
    },
    create: async (ep, b) => {
      const p = pathOf(b);
      if (p.objectId === undefined || p.resourceId !== undefined)
        throw new ApiError(400, 'Create names an object (/o) or the new instance (/o/i)');
      const instanceId = p.instanceId ?? freeInstanceId(this.server.clients.get(ep), p.objectId);
      return resultJson(
        await this.server.create(ep, `/${p.objectId}`, instanceRecords({ objectId: p.objectId, instanceId }, b), formatOf(b)),
      );
    },
    delete: async (ep, b) => resultJson(await this.server.delete(ep, formatPath(pathOf(b)))),
    discover: async (ep, b) => {
      const r = await this.server.discover(ep, formatPath(pathOf(b)));
      const links = r.links?.map((l) => {
        const lp = checkPath(l.target);
        return {
          path: l.target,
          name: lp.ok ? pathLabel(lp.value).slice(l.target.length + 1) || undefined : undefined,
          attributes: Object.fromEntries(l.attrs.map(([k, v]) => [k, v ?? null])),
        };
      });
      const out: DiscoverJson = {
        code: r.code,
        status: codeName(r.code),
        ok: isSuccess(r.code),
        ...(links ? { links } : { reason: r.text }),
      };
      return out;
    },
    attributes: async (ep, b) => {
      const attrs: Record<string, number | null> = {};
      for (const [k, v] of Object.entries(field(b, 'attributes', 'object') as Json)) {
        if (!/^[a-z]{1,8}$/.test(k)) throw new ApiError(400, `"${k}" is not an attribute name`);
        const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        if (n !== null && (typeof n !== 'number' || !Number.isFinite(n)))
          throw new ApiError(400, `attribute ${k} must be a number, or null to remove it`);
        attrs[k] = n;
      }
      return resultJson(await this.server.writeAttributes(ep, formatPath(pathOf(b)), attrs));
    },
    observe: (ep, b) => this.observations.start(ep, [formatPath(pathOf(b))], false, formatOf(b) ?? FORMAT_IDS.tlv),
    'read-composite': async (ep, b) => resultJson(await this.server.readComposite(ep, pathsOf(b), formatOf(b, COMPOSITE_FORMATS))),
    'write-composite': async (ep, b) => {
      const entries = Object.entries(field(b, 'values', 'object') as Json);
      if (entries.length === 0) throw new ApiError(400, '"values" must name at least one resource');
      const records = entries.map(([path, v]) => {
        const p = must(checkPath(path));
        if (pathDepth(p) < 3) throw new ApiError(400, `"${path}": Write-Composite takes resources (/o/i/r)`);
        return { path: p, value: must(parseTyped(p, v)) };
      });
      return resultJson(await this.server.writeComposite(ep, records, formatOf(b, COMPOSITE_FORMATS)));
    },
    'observe-composite': (ep, b) =>
      this.observations.start(ep, pathsOf(b), true, formatOf(b, COMPOSITE_FORMATS) ?? FORMAT_IDS['senml-cbor']),
  };

  close(): void {
    this.observations.close();
    this.devices.close();
  }
}

function notFound(msg: string): never {
  throw new ApiError(404, msg);
}
