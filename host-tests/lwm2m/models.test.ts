// A vendor's object in the host tools (--models <dir>, as Leshan's -m): its
// DDF gives the prompt and the console its names, types and units, the
// Bootstrap-Server's checks know it, and the LwM2M Server types its values.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostObjectDef, loadModels, modelResolver, useModels } from '../../host/models';
import { objectDefsJson } from '../../host/console/object-defs';
import { parseTyped, pathLabel } from '../../host/console/typed-values';

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));

const PUMP_DDF = `<?xml version="1.0" encoding="utf-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Object ObjectType="MODefinition">
    <Name>Pump</Name>
    <Description1>A vendor's pump</Description1>
    <ObjectID>32769</ObjectID>
    <ObjectURN>urn:oma:lwm2m:x:32769</ObjectURN>
    <LWM2MVersion>1.1</LWM2MVersion>
    <ObjectVersion>1.0</ObjectVersion>
    <MultipleInstances>Multiple</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0"><Name>Flow</Name><Operations>R</Operations><MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory><Type>Float</Type><RangeEnumeration></RangeEnumeration><Units>l/min</Units><Description>Flow</Description></Item>
      <Item ID="1"><Name>Limit</Name><Operations>RW</Operations><MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Type>Integer</Type><RangeEnumeration>0..1000</RangeEnumeration><Units></Units><Description>Limit</Description></Item>
    </Resources>
    <Description2></Description2>
  </Object>
</LWM2M>
`;

describe("host tools with a vendor's DDF files (--models)", function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-models-'));
    writeFileSync(join(dir, '32769.xml'), PUMP_DDF);
  });
  after(() => {
    useModels(new Map());
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads the DDF files of a folder; the prompt's values, labels and the console's definitions use them", () => {
    assert.equal(hostObjectDef(32769), undefined, 'unknown before');
    assert.match((parseTyped({ objectId: 32769, instanceId: 0, resourceId: 1 }, '5') as { reason: string }).reason, /no definition here/);
    const models = loadModels([dir]);
    assert.deepEqual([...models.keys()], [32769]);
    useModels(models);
    assert.equal(hostObjectDef(32769)?.name, 'Pump');
    assert.deepEqual(parseTyped({ objectId: 32769, instanceId: 0, resourceId: 1 }, '5'), { ok: true, value: 5 });
    assert.equal(pathLabel({ objectId: 32769, instanceId: 0, resourceId: 0 }), '/32769/0/0 Flow');
    const json = objectDefsJson().find((o) => o.id === 32769);
    assert.equal(json?.resources.find((r) => r.id === 0)?.units, 'l/min');
    const limit = modelResolver()(32769, 1);
    assert.deepEqual(limit && { type: limit.type, multiple: limit.multiple }, { type: 'integer', multiple: false });
  });

  it('refuses a folder with a file that is not a DDF (exit 2, naming it)', () => {
    const bad = mkdtempSync(join(tmpdir(), 'xs-lwm2m-models-bad-'));
    try {
      writeFileSync(join(bad, 'notes.xml'), '<html></html>');
      const r = spawnSync(process.execPath, [bin, 'server', '--models', bad, '--port', '0', '--coaps-port', '0'], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /cannot use --models .*notes\.xml: not a DDF/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('server --models: the web console lists the vendor object with its names and units', async () => {
    const p = spawn(process.execPath, [bin, 'server', '--models', dir, '--port', '0', '--coaps-port', '0', '--http', '0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const t = setTimeout(() => reject(new Error(`no console URL in: ${out}`)), 15_000);
        const take = (d: Buffer) => {
          out += d.toString();
          const m = /web console: (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!.replace(/\/$/, ''));
          }
        };
        p.stdout.on('data', take);
        p.stderr.on('data', take);
      });
      const defs = (await (await fetch(`${url}/api/objects`)).json()) as Array<{
        id: number;
        name: string;
        resources: Array<{ id: number; name: string; units?: string }>;
      }>;
      const pump = defs.find((o) => o.id === 32769);
      assert.equal(pump?.name, 'Pump');
      assert.deepEqual(
        pump?.resources.map((r) => [r.id, r.name, r.units]),
        [
          [0, 'Flow', 'l/min'],
          [1, 'Limit', undefined],
        ],
      );
    } finally {
      p.kill('SIGTERM');
    }
  });
});
