// The object definitions (built in, and those of --models) as the
// page reads them: names, units, operations and types of every resource.
import { hostObjectDef, hostObjectIds } from '../models';

import type { ObjectDefJson } from './api-types';

export function objectDefsJson(): ObjectDefJson[] {
  return hostObjectIds().map((id) => {
    const o = hostObjectDef(id)!;
    return {
      id,
      name: o.name,
      version: o.version,
      urn: o.urn,
      multiple: o.multiple,
      mandatory: o.mandatory,
      resources: [...o.resources.values()].map((r) => ({
        id: r.id,
        name: r.name.replace(/\s+/g, ' '),
        operations: r.operations,
        multiple: r.multiple,
        mandatory: r.mandatory,
        type: r.type,
        ...(r.units ? { units: r.units } : {}),
        ...(r.rangeEnumeration ? { range: r.rangeEnumeration } : {}),
      })),
    };
  });
}
