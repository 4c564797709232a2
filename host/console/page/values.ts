// Values as the page shows them: Time as a date, units after numbers, an
// enumeration's name beside its number, a multiple resource as its instances.
import type { RecordJson } from '../api-types';

export function showValue(r: Pick<RecordJson, 'type' | 'units' | 'value' | 'label'>): string {
  if (r.label !== undefined) return `${r.label} (${String(r.value)})`;
  if (r.type === 'time' && typeof r.value === 'number')
    return `${new Date(r.value * 1000).toISOString().replace('.000Z', 'Z')} (${r.value})`;
  if (r.value === null) return '—';
  return r.units && typeof r.value === 'number' ? `${r.value} ${r.units}` : String(r.value);
}

/** "name = value" lines of a set of records, for logs and Send reports. */
export function showRecords(records: RecordJson[]): string {
  return records.map((r) => `${r.path}${r.name ? ' ' + r.name : ''} = ${showValue(r)}`).join('\n');
}
