// Operation results and records as the API returns them: the CoAP code with
// its name, the format that came back, the client's reason text on an error,
// and each value with its resource's name, type and units.
import type { ResourceRecord } from '../../firmware/formats';
import { hostResourceDef as getResourceDef } from '../models';
import { formatPath } from '../../firmware/model/path';
import type { OperationResult } from '../lwm2m-server';
import type { RecordJson, ResultJson } from './api-types';
import { codeName, formatName, isSuccess } from './terms';
import { jsonValue } from './typed-values';
import { enumName } from './enums';

export function recordsJson(records: readonly ResourceRecord[]): RecordJson[] {
  return records.map((r) => {
    const def =
      r.path.objectId !== undefined && r.path.resourceId !== undefined ? getResourceDef(r.path.objectId, r.path.resourceId) : undefined;
    const out: RecordJson = { path: formatPath(r.path), value: jsonValue(r.value) };
    if (def) {
      out.name = def.name.replace(/\s+/g, ' ');
      out.type = def.type;
      if (def.units) out.units = def.units;
    }
    const label = enumName(r.path.objectId, r.path.resourceId, r.value);
    if (label !== undefined) out.label = label;
    return out;
  });
}

export function resultJson(r: OperationResult & { location?: string }): ResultJson {
  const out: ResultJson = { code: r.code, status: codeName(r.code), ok: isSuccess(r.code) };
  if (r.records) {
    out.format = formatName(r.contentFormat);
    out.records = recordsJson(r.records);
  } else if (r.text) out.reason = r.text;
  if (r.location) out.location = r.location;
  return out;
}
