// LwM2M TLV (11542, Core §7.4.3) on top of the formats instance's TlvBackend (wasm, native or pure TS).
// Decode and encode share one file: both translate between records and the backend's entry table
// (codec/tlv-constants.ts), whose layout they must read and write the same way.
import type { DataType, Path, Value, Objlnk } from '../model/types';
import { pathDepth } from '../model/path';
import { coerceValue, isCanonical, normaliseInteger } from '../model/value';
import { utf8DecodeStrict } from '../util/utf8';
import {
  ENTRY_WORDS,
  E_KIND,
  E_ID,
  E_PARENT,
  E_OFFSET,
  E_LENGTH,
  E_TYPE,
  E_LO,
  E_HI,
  C_OP,
  C_KIND,
  C_ID,
  C_TYPE,
  C_DATA,
  C_LENGTH,
  C_LO,
  C_HI,
  OP_BEGIN,
  OP_END,
  OP_LEAF,
  KIND_OBJECT_INSTANCE,
  KIND_RESOURCE_INSTANCE,
  KIND_MULTIPLE_RESOURCE,
  KIND_RESOURCE,
  T_RAW,
  T_STRING,
  T_INTEGER,
  T_UNSIGNED,
  T_FLOAT,
  T_BOOLEAN,
  T_OPAQUE,
  T_TIME,
  T_OBJLNK,
  T_CORELNK,
  T_NONE,
  TLV_TOO_LARGE,
  TLV_TOO_MANY,
  tlvErrorText,
} from '../codec/tlv-constants';
import type { DecodedPayload, EncodeOptions, FormatCodecs, InstanceRef, FormatResult, ResourceRecord, TypeResolver } from './types';
import { fail } from './types';
import { PayloadBuilder, makePath, recordDef, safeResolve } from './common';
import { inferType } from './infer';
import { deepFreeze } from '../util/freeze';

const TYPE_CODE: Record<DataType, number> = Object.freeze({
  string: T_STRING,
  integer: T_INTEGER,
  unsigned: T_UNSIGNED,
  float: T_FLOAT,
  boolean: T_BOOLEAN,
  opaque: T_OPAQUE,
  time: T_TIME,
  objlnk: T_OBJLNK,
  corelnk: T_CORELNK,
  none: T_NONE,
});

/** Kinds a payload may start with at each request depth (Core §7.4.3: /o carries object instances, …).
 *  At /o/i a wrapping object instance with the same id is tolerated; at /o/i/r bare resource instances too. */
const TOP_KINDS = deepFreeze([
  0,
  1 << KIND_OBJECT_INSTANCE,
  (1 << KIND_RESOURCE) | (1 << KIND_MULTIPLE_RESOURCE) | (1 << KIND_OBJECT_INSTANCE),
  (1 << KIND_RESOURCE) | (1 << KIND_MULTIPLE_RESOURCE) | (1 << KIND_RESOURCE_INSTANCE),
  1 << KIND_RESOURCE_INSTANCE,
]);

const TWO32 = 4294967296;

function intValue(lo: number, hi: number, unsigned: boolean): number | bigint {
  if (unsigned ? hi >= 0 && hi < 0x200000 : hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + (lo >>> 0);
  const b = (BigInt(unsigned ? hi >>> 0 : hi) << 32n) | BigInt(lo >>> 0);
  return normaliseInteger(b);
}

export function decodeTlv(payload: Uint8Array, base: Path, resolve: TypeResolver, codecs: FormatCodecs): FormatResult<DecodedPayload> {
  const depth = pathDepth(base);
  if (depth === 0) return fail('malformed', 'TLV needs an object path');
  const be = codecs.tlv;
  const n = be.decode(payload, TOP_KINDS[depth]);
  if (n < 0) return fail(n === TLV_TOO_LARGE || n === TLV_TOO_MANY ? 'too-large' : 'malformed', tlvErrorText(n));
  const t = be.table;
  const o = base.objectId!;
  // Resolve each leaf's type and check the ids against the request path.
  let lastRid = -1,
    lastDef: { type: DataType; multiple: boolean } | undefined;
  for (let k = 0; k < n; k++) {
    const e = k * ENTRY_WORDS;
    const kind = t[e + E_KIND],
      id = t[e + E_ID],
      parent = t[e + E_PARENT];
    if (parent < 0) {
      // Top level: the id must match the request path where the path names it.
      const want =
        kind === KIND_OBJECT_INSTANCE ? base.instanceId : kind === KIND_RESOURCE_INSTANCE ? base.resourceInstanceId : base.resourceId;
      if (want !== undefined && want !== id) return fail('outside-base', 'TLV id outside the request path');
    }
    if (kind === KIND_OBJECT_INSTANCE) continue;
    const rid = kind === KIND_RESOURCE_INSTANCE ? (parent >= 0 ? t[parent * ENTRY_WORDS + E_ID] : base.resourceId!) : id;
    if (rid !== lastRid) {
      lastRid = rid;
      lastDef = safeResolve(resolve, o, rid);
    }
    const def = lastDef;
    if (kind === KIND_MULTIPLE_RESOURCE) {
      if (def && !def.multiple) return fail('type-mismatch', `resource ${rid} is not multiple`);
      continue;
    }
    if (def && kind === KIND_RESOURCE && def.multiple) return fail('type-mismatch', `resource ${rid} is multiple`);
    if (def && kind === KIND_RESOURCE_INSTANCE && !def.multiple) return fail('type-mismatch', `resource ${rid} is not multiple`);
    t[e + E_TYPE] = def ? TYPE_CODE[def.type] : T_RAW;
  }
  const vr = be.decodeValues(n);
  if (vr < 0) return fail('malformed', tlvErrorText(vr));
  const f64 = be.tableF64;
  const b = new PayloadBuilder();
  for (let k = 0; k < n; k++) {
    const e = k * ENTRY_WORDS;
    const kind = t[e + E_KIND],
      id = t[e + E_ID],
      parent = t[e + E_PARENT];
    if (kind === KIND_OBJECT_INSTANCE) {
      b.instance(o, id);
      continue;
    }
    // Walk up at most two levels to find the instance (and resource for resource instances).
    let iid: number, rid: number, riid: number | undefined;
    if (kind === KIND_RESOURCE_INSTANCE) {
      riid = id;
      if (parent >= 0) {
        rid = t[parent * ENTRY_WORDS + E_ID];
        const gp = t[parent * ENTRY_WORDS + E_PARENT];
        iid = gp >= 0 ? t[gp * ENTRY_WORDS + E_ID] : base.instanceId!;
      } else {
        rid = base.resourceId!;
        iid = base.instanceId!;
      }
    } else {
      rid = id;
      iid = parent >= 0 ? t[parent * ENTRY_WORDS + E_ID] : base.instanceId!;
    }
    if (iid === undefined) return fail('malformed', 'TLV resource without an object instance');
    if (kind === KIND_MULTIPLE_RESOURCE) {
      b.multiple(o, iid, rid);
      continue;
    }
    const type = t[e + E_TYPE],
      off = t[e + E_OFFSET],
      len = t[e + E_LENGTH];
    let value: Value;
    switch (type) {
      case T_INTEGER:
      case T_TIME:
        value = intValue(t[e + E_LO], t[e + E_HI], false);
        break;
      case T_UNSIGNED:
        value = intValue(t[e + E_LO], t[e + E_HI], true);
        break;
      case T_FLOAT:
        value = f64[k * 4 + 3];
        break;
      case T_BOOLEAN:
        value = t[e + E_LO] !== 0;
        break;
      case T_OBJLNK: {
        const w = t[e + E_LO];
        value = { objectId: (w >>> 16) & 0xffff, instanceId: w & 0xffff };
        break;
      }
      case T_NONE:
        value = null;
        break;
      case T_STRING:
      case T_CORELNK: {
        const s = utf8DecodeStrict(payload, off, off + len);
        if (s === undefined) return fail('malformed', 'TLV string is not UTF-8');
        value = s;
        break;
      }
      default:
        value = payload.slice(off, off + len);
    }
    const rec: ResourceRecord = { path: makePath(o, iid, rid, riid), value };
    if (type === T_RAW) rec.unknown = true;
    b.record(rec);
  }
  return { ok: true, value: b.out };
}

// ---- encode ----

interface ResGroup {
  id: number;
  single?: ResourceRecord;
  instances?: ResourceRecord[];
}
interface InstGroup {
  id: number;
  resources: Map<number, ResGroup>;
}

/** Writes UTF-8 of s into dst at pos; returns the end position or -1 when it does not fit. */
function writeUtf8(s: string, dst: Uint8Array, pos: number): number {
  const lim = dst.length;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (pos >= lim) return -1;
      dst[pos++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      if (pos + 2 > lim) return -1;
      dst[pos++] = 0xc0 | (c >> 6);
      dst[pos++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      if (pos + 3 > lim) return -1;
      dst[pos++] = 0xe0 | (c >> 12);
      dst[pos++] = 0x80 | ((c >> 6) & 63);
      dst[pos++] = 0x80 | (c & 63);
    } else {
      if (pos + 4 > lim) return -1;
      dst[pos++] = 0xf0 | (c >> 18);
      dst[pos++] = 0x80 | ((c >> 12) & 63);
      dst[pos++] = 0x80 | ((c >> 6) & 63);
      dst[pos++] = 0x80 | (c & 63);
    }
  }
  return pos;
}

export function encodeTlv(
  base: Path,
  records: ResourceRecord[],
  resolve: TypeResolver,
  codecs: FormatCodecs,
  opts?: EncodeOptions,
): FormatResult<Uint8Array> {
  const depth = pathDepth(base);
  if (depth === 0) return fail('not-acceptable', 'TLV cannot carry several objects');
  const o = base.objectId!;
  // One pass: every record inside the request path, and whether they come in path order (a Read's do).
  let ordered = opts?.multipleResources === undefined || opts.multipleResources.length === 0;
  for (let i = 0; i < records.length; i++) {
    const p = records[i]!.path;
    if (p.objectId !== o || p.instanceId === undefined || p.resourceId === undefined)
      return fail('internal', 'record outside the request path');
    if (
      (base.instanceId !== undefined && base.instanceId !== p.instanceId) ||
      (base.resourceId !== undefined && base.resourceId !== p.resourceId) ||
      (base.resourceInstanceId !== undefined && base.resourceInstanceId !== p.resourceInstanceId)
    )
      return fail('internal', 'record outside the request path');
    if (ordered && i > 0 && !follows(records[i - 1]!.path, p)) ordered = false;
  }
  if (ordered && opts?.instances) ordered = listsInstances(records, o, base, opts.instances);
  const w = new TlvWriter(codecs, o, depth, resolve);
  // Records in path order are written as they come, with no grouping tables.
  const e = ordered ? w.stream(records) : w.grouped(groups(records, o, base, opts));
  if (e !== undefined) return fail(e.startsWith('too') || e.startsWith('payload') ? 'too-large' : 'internal', e);
  const out = codecs.tlv.encode(w.n);
  if (typeof out === 'number') return fail(out === TLV_TOO_LARGE ? 'too-large' : 'internal', tlvErrorText(out));
  return { ok: true, value: out };
}

/** Whether record path `b` may follow `a` in a stream: a later instance or resource, or a later instance of the same multiple resource. */
function follows(a: Path, b: Path): boolean {
  if (a.instanceId! !== b.instanceId!) return a.instanceId! < b.instanceId!;
  if (a.resourceId! !== b.resourceId!) return a.resourceId! < b.resourceId!;
  return a.resourceInstanceId !== undefined && b.resourceInstanceId !== undefined && a.resourceInstanceId < b.resourceInstanceId;
}

/** Whether every instance an object-level answer lists has records (an empty one needs the grouped writer). */
function listsInstances(records: ResourceRecord[], o: number, base: Path, instances: readonly InstanceRef[]): boolean {
  for (const i of instances) {
    if (i.objectId !== o || (base.instanceId !== undefined && base.instanceId !== i.instanceId)) continue;
    let found = false;
    for (let k = 0; k < records.length && !found; k++) found = records[k]!.path.instanceId === i.instanceId;
    if (!found) return false;
  }
  return true;
}

/** Records grouped by instance and resource, in order of first appearance, with the empty ones asked for. */
function groups(records: ResourceRecord[], o: number, base: Path, opts: EncodeOptions | undefined): Map<number, InstGroup> {
  const insts = new Map<number, InstGroup>();
  const inst = (iid: number): InstGroup => {
    let g = insts.get(iid);
    if (!g) {
      g = { id: iid, resources: new Map() };
      insts.set(iid, g);
    }
    return g;
  };
  for (const r of records) {
    const p = r.path;
    const g = inst(p.instanceId!);
    let rg = g.resources.get(p.resourceId!);
    if (!rg) {
      rg = { id: p.resourceId! };
      g.resources.set(p.resourceId!, rg);
    }
    if (p.resourceInstanceId !== undefined) (rg.instances ??= []).push(r);
    else rg.single = r;
  }
  if (opts?.instances)
    for (const i of opts.instances)
      if (i.objectId === o && (base.instanceId === undefined || base.instanceId === i.instanceId)) inst(i.instanceId);
  if (opts?.multipleResources)
    for (const m of opts.multipleResources) {
      if (m.objectId !== o || (base.instanceId !== undefined && base.instanceId !== m.instanceId)) continue;
      if (base.resourceId !== undefined && base.resourceId !== m.resourceId) continue;
      const g = inst(m.instanceId);
      const rg = g.resources.get(m.resourceId);
      if (!rg) g.resources.set(m.resourceId, { id: m.resourceId, instances: [] });
      else rg.instances ??= [];
    }
  return insts;
}

/** Fills the backend's command table (codec/tlv-constants.ts) for one payload; errors are returned as text. */
class TlvWriter {
  n = 0;
  private dpos = 0;
  private readonly be: FormatCodecs['tlv'];

  constructor(
    codecs: FormatCodecs,
    private readonly o: number,
    private readonly depth: number,
    private readonly resolve: TypeResolver,
  ) {
    this.be = codecs.tlv;
  }

  /** Records in path order (streamable()). */
  stream(records: ResourceRecord[]): string | undefined {
    const depth = this.depth;
    let iid = -1,
      rid = -1,
      multiple = false;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const p = r.path;
      if (p.instanceId! !== iid) {
        if (multiple && !this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
        multiple = false;
        if (iid !== -1) {
          if (depth >= 2) return 'several instances under an instance path';
          if (!this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
        }
        iid = p.instanceId!;
        rid = -1;
        if (depth === 1 && !this.cmd(OP_BEGIN, KIND_OBJECT_INSTANCE, iid)) return 'too many TLV entries';
      }
      if (p.resourceInstanceId === undefined) {
        if (multiple && !this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
        multiple = false;
        rid = p.resourceId!;
        const e = this.leaf(KIND_RESOURCE, rid, rid, r);
        if (e !== undefined) return e;
        continue;
      }
      if (p.resourceId! !== rid) {
        if (multiple && !this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
        rid = p.resourceId!;
        multiple = depth !== 4;
        if (multiple && !this.cmd(OP_BEGIN, KIND_MULTIPLE_RESOURCE, rid)) return 'too many TLV entries';
      }
      const e = this.leaf(KIND_RESOURCE_INSTANCE, p.resourceInstanceId, rid, r);
      if (e !== undefined) return e;
    }
    if (multiple && !this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
    if (depth === 1 && iid !== -1 && !this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
    return undefined;
  }

  /** Any records, grouped first (groups()). */
  grouped(insts: Map<number, InstGroup>): string | undefined {
    const depth = this.depth;
    if (depth >= 2 && insts.size > 1) return 'several instances under an instance path';
    for (const g of insts.values()) {
      if (depth === 1 && !this.cmd(OP_BEGIN, KIND_OBJECT_INSTANCE, g.id)) return 'too many TLV entries';
      for (const rg of g.resources.values()) {
        const e = this.resource(rg);
        if (e !== undefined) return e;
      }
      if (depth === 1 && !this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
    }
    return undefined;
  }

  private resource(rg: ResGroup): string | undefined {
    if (!rg.instances) return this.leaf(KIND_RESOURCE, rg.id, rg.id, rg.single!);
    const wrap = this.depth !== 4;
    if (wrap && !this.cmd(OP_BEGIN, KIND_MULTIPLE_RESOURCE, rg.id)) return 'too many TLV entries';
    for (const ri of rg.instances) {
      const e = this.leaf(KIND_RESOURCE_INSTANCE, ri.path.resourceInstanceId!, rg.id, ri);
      if (e !== undefined) return e;
    }
    if (wrap && !this.cmd(OP_END, 0, 0)) return 'too many TLV entries';
    return undefined;
  }

  /** One command; false when the table is full. */
  private cmd(op: number, kind: number, id: number): boolean {
    return this.entry(op, kind, id) >= 0;
  }

  private entry(op: number, kind: number, id: number): number {
    const be = this.be;
    if (this.n >= be.maxEntries) return -1;
    const t = be.table;
    const c = this.n++ * ENTRY_WORDS;
    t[c + C_OP] = op;
    t[c + C_KIND] = kind;
    t[c + C_ID] = id;
    t[c + C_TYPE] = T_NONE;
    t[c + C_DATA] = 0;
    t[c + C_LENGTH] = 0;
    t[c + C_LO] = 0;
    t[c + C_HI] = 0;
    return c;
  }

  private leaf(kind: number, id: number, rid: number, r: ResourceRecord): string | undefined {
    const c = this.entry(OP_LEAF, kind, id);
    if (c < 0) return 'too many TLV entries';
    const def = recordDef(r, this.resolve, this.o, rid);
    const type = def ? def.type : inferType(r.value);
    let v = r.value;
    if (!isCanonical(type, v)) {
      const cv = coerceValue(type, v);
      if (!cv.ok) return `${rid}: ${cv.reason}`;
      v = cv.value;
    }
    const code = TYPE_CODE[type];
    const be = this.be;
    const t = be.table;
    t[c + C_TYPE] = code;
    switch (code) {
      case T_INTEGER:
      case T_TIME:
      case T_UNSIGNED:
        if (typeof v === 'bigint') {
          t[c + C_LO] = Number(BigInt.asIntN(32, v));
          t[c + C_HI] = Number(BigInt.asIntN(32, v >> 32n));
        } else {
          const x = v as number;
          const hi = Math.floor(x / TWO32);
          t[c + C_LO] = (x - hi * TWO32) | 0;
          t[c + C_HI] = hi | 0;
        }
        break;
      case T_FLOAT:
        be.tableF64[(c >> 3) * 4 + 3] = v as number;
        break;
      case T_BOOLEAN:
        t[c + C_LO] = v ? 1 : 0;
        break;
      case T_OBJLNK:
        t[c + C_LO] = ((v as Objlnk).objectId << 16) | (v as Objlnk).instanceId;
        break;
      case T_NONE:
        break;
      case T_STRING:
      case T_CORELNK: {
        const end = writeUtf8(v as string, be.data, this.dpos);
        if (end < 0) return 'payload too large';
        t[c + C_DATA] = this.dpos;
        t[c + C_LENGTH] = end - this.dpos;
        this.dpos = end;
        break;
      }
      default: {
        const bytes = v as Uint8Array;
        if (this.dpos + bytes.length > be.data.length) return 'payload too large';
        be.data.set(bytes, this.dpos);
        t[c + C_TYPE] = T_OPAQUE;
        t[c + C_DATA] = this.dpos;
        t[c + C_LENGTH] = bytes.length;
        this.dpos += bytes.length;
      }
    }
    return undefined;
  }
}
