// Read-Composite / Observe-Composite request bodies (Core §5.4.5, §5.5.1;
// Transport §6.4.x): a SenML pack of names only, e.g. [{"n":"/3/0/0"},{"n":"/1/0"}].
// The value decoders reject records without a value, so the path list has its own parser.
import { ContentFormat, type CborCodec } from '../../formats/index';
import { parsePath } from '../../model/path';
import type { Path } from '../../model/types';
import { utf8DecodeStrict } from '../../util/utf8';

/** Bound on paths in one composite request. */
export const MAX_COMPOSITE_PATHS = 32;

export type PathListResult = { ok: true; paths: Path[] } | { ok: false; code: 'bad' | 'format'; reason: string };

const BN = -2,
  N = 0;

/** Parse a SenML JSON or CBOR list of paths. 'format' → 4.15, 'bad' → 4.00. Never throws. */
export function parsePathList(format: number | undefined, payload: Uint8Array, cbor: CborCodec): PathListResult {
  let names: Array<{ bn?: unknown; n?: unknown }>;
  if (format === ContentFormat.SENML_JSON) {
    const s = utf8DecodeStrict(payload);
    let j: unknown;
    try {
      j = s === undefined ? undefined : JSON.parse(s);
    } catch {
      j = undefined;
    }
    if (!Array.isArray(j)) return { ok: false, code: 'bad', reason: 'SenML JSON path list is not an array' };
    names = j.map((e) => (typeof e === 'object' && e !== null ? (e as { bn?: unknown; n?: unknown }) : {}));
  } else if (format === ContentFormat.SENML_CBOR) {
    let j: unknown;
    try {
      j = cbor.decode(payload);
    } catch {
      j = undefined;
    }
    if (!Array.isArray(j)) return { ok: false, code: 'bad', reason: 'SenML CBOR path list is not an array' };
    names = j.map((e) => (e instanceof Map ? { bn: e.get(BN), n: e.get(N) } : {}));
  } else {
    return { ok: false, code: 'format', reason: `composite request in content format ${format ?? 'none'}` };
  }
  if (names.length > MAX_COMPOSITE_PATHS) return { ok: false, code: 'bad', reason: 'too many paths' };
  const paths: Path[] = [];
  let bn = '';
  for (const e of names) {
    if (e.bn !== undefined) {
      if (typeof e.bn !== 'string') return { ok: false, code: 'bad', reason: 'bn is not text' };
      bn = e.bn;
    }
    if (e.n !== undefined && typeof e.n !== 'string') return { ok: false, code: 'bad', reason: 'n is not text' };
    const name = bn + ((e.n as string | undefined) ?? '');
    const p = parsePath(name === '' ? '/' : name);
    if (!p) return { ok: false, code: 'bad', reason: `bad path ${name}` };
    paths.push(p);
  }
  return { ok: true, paths };
}
