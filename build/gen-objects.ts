// Build-time generator: OMA DDF XML → the compact object table of
// firmware/model/objects.ts.
//  - The built-in table (build/ddf/ → firmware/model/objects.generated.ts):
//    the core objects, 9, 10, 19 and the IPSO Smart Objects. The device build
//    uses the committed output; host-tests/model/ddf.test.ts re-runs
//    parse+render and checks the committed table still matches the DDFs.
//    Run: npx tsx build/gen-objects.ts
//  - A project's own objects (a vendor DDF, any OMA DDF not built in):
//    npx tsx build/gen-objects.ts --out src/my-objects.ts path/to/ddf-or-dir …
//    writes a module exporting OBJECT_ROWS; `objectDefs(OBJECT_ROWS)`
//    (firmware/model/objects) turns it into definitions for ClientOptions.objects.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, relative, resolve } from 'node:path';

/** Which DDF file defines each object: the 1.1 version where one exists. */
export const DDF_FILES: ReadonlyArray<[number, string]> = [
  [0, '0-1_1.xml'], // Security 1.1
  [1, '1-1_1.xml'], // Server 1.1
  [2, '2.xml'], // Access Control 1.1
  [3, '3-1_1.xml'], // Device 1.1
  [4, '4-1_2.xml'], // Connectivity Monitoring: no 1.1 file; 1.2 is the oldest for LwM2M 1.1
  [5, '5.xml'], // Firmware Update 1.2 (only file)
  [6, '6.xml'], // Location 1.0
  [7, '7.xml'], // Connectivity Statistics 1.0
  [9, '9.xml'], // LwM2M Software Management 1.0
  [10, '10.xml'], // LwM2M Cellular Connectivity 1.0
  [16, '16.xml'], // Portfolio 1.0 (written here: not in the shared registry copy; the ETS DM cases use it)
  [19, '19.xml'], // BinaryAppDataContainer 1.0
  // IPSO Smart Objects (OMA registry, BSD-3-Clause).
  [3200, '3200.xml'], // Digital Input
  [3201, '3201.xml'], // Digital Output
  [3202, '3202.xml'], // Analog Input
  [3203, '3203.xml'], // Analog Output
  [3300, '3300.xml'], // Generic Sensor
  [3301, '3301.xml'], // Illuminance
  [3303, '3303.xml'], // Temperature
  [3304, '3304.xml'], // Humidity
  [3311, '3311.xml'], // Light Control
  [3312, '3312.xml'], // Power Control
  [3313, '3313.xml'], // Accelerometer
  [3315, '3315.xml'], // Barometer
  [3336, '3336.xml'], // Location
  [3340, '3340.xml'], // Timer
  [3341, '3341.xml'], // Addressable Text Display
  [3342, '3342.xml'], // On/Off switch
  [3347, '3347.xml'], // Push button
];

export const DDF_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ddf');
export const GENERATED_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'firmware', 'model', 'objects.generated.ts');

export interface DdfResource {
  id: number;
  name: string;
  operations: string;
  multiple: boolean;
  mandatory: boolean;
  type: string;
  rangeEnumeration: string;
  units: string;
}
export interface DdfObject {
  id: number;
  name: string;
  version: string;
  lwm2mVersion: string;
  urn: string;
  multiple: boolean;
  mandatory: boolean;
  resources: DdfResource[];
}

const TYPE_NAMES: Record<string, string> = {
  String: 'string',
  Integer: 'integer',
  'Unsigned Integer': 'unsigned',
  Float: 'float',
  Boolean: 'boolean',
  Opaque: 'opaque',
  Time: 'time',
  Objlnk: 'objlnk',
  Corelnk: 'corelnk',
  '': 'none',
};

function tag(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (!m) return '';
  return decodeEntities(m[1].replace(/^<!\[CDATA\[([\s\S]*)\]\]>$/, '$1')).trim();
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Parse one DDF file. Regex-based: the DDFs are flat and regular, and this keeps XML libraries out of the repo. */
export function parseDdf(xml: string): DdfObject {
  const objStart = xml.indexOf('<Object ');
  const resStart = xml.indexOf('<Resources>', objStart);
  if (objStart < 0 || resStart < 0) throw new Error('not a DDF: no <Object>/<Resources>');
  const head = xml.slice(objStart, resStart);
  const body = xml.slice(resStart, xml.indexOf('</Resources>', resStart));
  const resources: DdfResource[] = [];
  const itemRe = /<Item ID="(\d+)">([\s\S]*?)<\/Item>/g;
  for (let m = itemRe.exec(body); m; m = itemRe.exec(body)) {
    const item = m[2];
    const rawType = tag(item, 'Type');
    const type = TYPE_NAMES[rawType];
    if (type === undefined) throw new Error(`unknown DDF type '${rawType}'`);
    resources.push({
      id: Number(m[1]),
      name: tag(item, 'Name'),
      operations: tag(item, 'Operations'),
      multiple: tag(item, 'MultipleInstances') === 'Multiple',
      mandatory: tag(item, 'Mandatory') === 'Mandatory',
      type,
      rangeEnumeration: tag(item, 'RangeEnumeration'),
      units: tag(item, 'Units'),
    });
  }
  resources.sort((a, b) => a.id - b.id);
  return {
    id: Number(tag(head, 'ObjectID')),
    name: tag(head, 'Name'),
    version: tag(head, 'ObjectVersion') || '1.0', // absent means 1.0 (Core §7.2.2)
    lwm2mVersion: tag(head, 'LWM2MVersion') || '1.0',
    urn: tag(head, 'ObjectURN'),
    multiple: tag(head, 'MultipleInstances') === 'Multiple',
    mandatory: tag(head, 'Mandatory') === 'Mandatory',
    resources,
  };
}

export function loadDdfs(dir = DDF_DIR): DdfObject[] {
  return DDF_FILES.map(([id, file]) => {
    const o = parseDdf(readFileSync(join(dir, file), 'utf8'));
    if (o.id !== id) throw new Error(`${file}: ObjectID ${o.id}, expected ${id}`);
    return o;
  });
}

const q = (s: string) => JSON.stringify(s);

/** Render the compact table. Row shapes are documented in firmware/model/types.ts. */
export function renderTable(objs: DdfObject[], header?: { source: string; modelDir: string }): string {
  const lines: string[] = header
    ? [
        `// GENERATED by xs-lwm2m build/gen-objects.ts from ${header.source} — do not edit.`,
        `import type { ObjectRow } from '${header.modelDir}/types';`,
        `import { deepFreeze } from '${header.modelDir}/../util/freeze';`,
        '',
      ]
    : [
        '// GENERATED by build/gen-objects.ts from the OMA DDF files in build/ddf/ — do not edit.',
        '// Regenerate: npx tsx build/gen-objects.ts (host-tests/model/ddf.test.ts checks it is current).',
        "import type { ObjectRow } from './types';",
        "import { deepFreeze } from '../util/freeze';",
        '',
        '// Frozen: a preloaded table needs no RAM alias on the device (util/freeze).',
        'export const OBJECT_ROWS: readonly ObjectRow[] = deepFreeze([',
      ];
  for (const o of objs) {
    lines.push(`  [${o.id}, ${q(o.name)}, ${q(o.version)}, ${q(o.lwm2mVersion)}, ${q(o.urn)}, ${+o.multiple}, ${+o.mandatory}, [`);
    for (const r of o.resources) {
      const tail = r.units ? `, ${q(r.rangeEnumeration)}, ${q(r.units)}` : r.rangeEnumeration ? `, ${q(r.rangeEnumeration)}` : '';
      lines.push(`    [${r.id}, ${q(r.name)}, ${q(r.operations)}, ${+r.multiple}, ${+r.mandatory}, ${q(r.type)}${tail}],`);
    }
    lines.push('  ]],');
  }
  lines.push(']);', '');
  return lines.join('\n');
}

/** The DDF files a project names: files, or every .xml in a folder (sorted, so the output is stable). */
export function ddfPaths(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (statSync(a).isDirectory())
      out.push(
        ...readdirSync(a)
          .filter((f) => f.endsWith('.xml'))
          .sort()
          .map((f) => join(a, f)),
      );
    else out.push(a);
  }
  return out;
}

/** `--out <file.ts> <ddf|dir>…`: a project's own object table; the model folder is found relative to the output. */
function generateProjectTable(args: string[]): void {
  const at = args.indexOf('--out');
  const out = args[at + 1];
  if (at < 0 || !out) throw new Error('usage: gen-objects.ts [--out <file.ts> <ddf-file-or-dir>…]');
  const files = ddfPaths(args.filter((_, i) => i !== at && i !== at + 1));
  if (files.length === 0) throw new Error('no DDF file named');
  const objs = files.map((f) => {
    try {
      return parseDdf(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new Error(`${f}: ${(e as Error).message}`);
    }
  });
  const ids = new Set<number>();
  for (const o of objs) {
    if (ids.has(o.id)) throw new Error(`object ${o.id} defined twice`);
    ids.add(o.id);
  }
  const modelDir = relative(dirname(resolve(out)), join(dirname(GENERATED_PATH))).replace(/\\/g, '/');
  writeFileSync(
    out,
    renderTable(objs, {
      source: files.map((f) => basename(f)).join(', '),
      modelDir: modelDir.startsWith('.') ? modelDir : `./${modelDir}`,
    }),
  );
  console.log(`wrote ${out}: ${objs.map((o) => `${o.id} ${o.name}`).join('; ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.length > 0) {
    generateProjectTable(args);
  } else {
    writeFileSync(GENERATED_PATH, renderTable(loadDdfs()));
    console.log(`wrote ${GENERATED_PATH}`);
  }
}
