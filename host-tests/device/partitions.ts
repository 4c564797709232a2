// ESP-IDF partition table CSV parser for the device manifest tests, following
// the rules of ESP-IDF's gen_esp32part.py: '#' comments and blank lines
// ignored; columns Name, Type, SubType, Offset, Size, Flags; numbers in hex
// (0x..), decimal, or with a K/M suffix; an empty Offset is placed right after
// the previous partition, rounded up to 64 KB for app partitions and 4 KB for
// data partitions; the first partition follows the table at 0x8000 (+0x1000).

export const PARTITION_TABLE_OFFSET = 0x8000;
export const PARTITION_TABLE_SIZE = 0x1000;
export const APP_ALIGN = 0x10000;
export const DATA_ALIGN = 0x1000;

const TYPES: Record<string, number> = { app: 0x00, data: 0x01 };

export interface Partition {
  line: number;
  name: string;
  type: number;
  typeName: string;
  subtype: string;
  offset: number;
  size: number;
  offsetWasAuto: boolean;
  flags: string;
}

export function parseNumber(text: string): number {
  const t = text.trim();
  const m = /^(0x[0-9a-fA-F]+|\d+)\s*([kKmM]?)$/.exec(t);
  if (m === null) throw new Error(`not a number: "${text}"`);
  const base = m[1]!.toLowerCase().startsWith('0x') ? parseInt(m[1]!.slice(2), 16) : parseInt(m[1]!, 10);
  const unit = m[2]!.toLowerCase();
  return base * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1);
}

export function parsePartitionCsv(csv: string): Partition[] {
  const out: Partition[] = [];
  let next = PARTITION_TABLE_OFFSET + PARTITION_TABLE_SIZE;
  const lines = csv.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const cols = raw.split(',').map((c) => c.trim());
    if (cols.length < 5) throw new Error(`line ${i + 1}: expected at least 5 columns: "${raw}"`);
    const [name, typeText, subtype, offsetText, sizeText, flags = ''] = cols as [string, string, string, string, string, string?];
    if (name === '' || name.length > 16) throw new Error(`line ${i + 1}: bad name "${name}"`);
    const type = typeText in TYPES ? TYPES[typeText]! : parseNumber(typeText);
    if (!(type >= 0 && type <= 0xfe)) throw new Error(`line ${i + 1}: bad type "${typeText}"`);
    const align = type === 0x00 ? APP_ALIGN : DATA_ALIGN;
    let offset: number;
    const auto = offsetText === '';
    if (auto) offset = Math.ceil(next / align) * align;
    else offset = parseNumber(offsetText);
    if (sizeText === '') throw new Error(`line ${i + 1}: size is required`);
    const size = parseNumber(sizeText);
    out.push({ line: i + 1, name, type, typeName: typeText, subtype, offset, size, offsetWasAuto: auto, flags: flags ?? '' });
    next = offset + size;
  }
  return out;
}

/** Problems with a parsed table; empty when it is valid for a flash of `flashSize` bytes. */
export function checkPartitions(parts: Partition[], flashSize: number): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.name)) problems.push(`${p.name}: duplicate name`);
    names.add(p.name);
    const align = p.type === 0x00 ? APP_ALIGN : DATA_ALIGN;
    if (p.offset % align !== 0) problems.push(`${p.name}: offset 0x${p.offset.toString(16)} not ${align / 1024}K aligned`);
    if (p.size <= 0 || p.size % DATA_ALIGN !== 0) problems.push(`${p.name}: size 0x${p.size.toString(16)} not a positive multiple of 4K`);
    if (p.offset < PARTITION_TABLE_OFFSET + PARTITION_TABLE_SIZE) problems.push(`${p.name}: overlaps the bootloader/partition table`);
    if (p.offset + p.size > flashSize)
      problems.push(`${p.name}: ends at 0x${(p.offset + p.size).toString(16)}, beyond flash 0x${flashSize.toString(16)}`);
  }
  const sorted = [...parts].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.offset + a.size > b.offset) problems.push(`${a.name} and ${b.name} overlap`);
  }
  return problems;
}
