// The generated object definitions (firmware/model, from the OMA DDFs) as the
// page reads them: names, units, operations and types of every resource.
import { getObjectDef, registeredObjectIds } from '../../firmware/model/objects';

import type { ObjectDefJson } from './api-types';

export function objectDefsJson(): ObjectDefJson[] {
  return registeredObjectIds().map((id) => {
    const o = getObjectDef(id)!;
    return {
      id, name: o.name, version: o.version, urn: o.urn, multiple: o.multiple, mandatory: o.mandatory,
      resources: [...o.resources.values()].map((r) => ({
        id: r.id, name: r.name.replace(/\s+/g, ' '), operations: r.operations, multiple: r.multiple, mandatory: r.mandatory, type: r.type,
        ...(r.units ? { units: r.units } : {}), ...(r.rangeEnumeration ? { range: r.rangeEnumeration } : {}),
      })),
    };
  });
}
