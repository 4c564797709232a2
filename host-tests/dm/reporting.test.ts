// Information Reporting in virtual time over the in-memory network: pacing by
// pmin/pmax (and the Server object's defaults), gt/lt/st, epmin/epmax, CON
// policy, cancellation (Observe=1, RST, CON timeout), composite observations
// and Send. ETS ids in the titles where a case applies.
import assert from 'node:assert/strict';
import { Type } from '../../firmware/coap/message';
import { getObserve } from '../../firmware/coap/options';
import { ContentFormat } from '../../firmware/formats';
import type { OperationResult } from '../../host/lwm2m-server';
import { openDm, values } from './helpers';
import type { Rig } from '../support/rig';

interface Note {
  at: number;
  code: string;
  v: Record<string, unknown>;
}

describe('dm: Information Reporting (virtual time)', function () {
  let h: Rig;
  const ep = () => h.endpointName;
  const t = () => h.timers.now();

  async function observe(path: string, format: number = ContentFormat.SENML_CBOR) {
    const notes: Note[] = [];
    const o = await h.settle(
      h.server.observe(ep(), path, (r: OperationResult) => notes.push({ at: t(), code: r.code, v: values(r.records) }), format),
    );
    return { notes, first: o.first, cancel: o.cancel, t0: t() };
  }

  async function observeComposite(paths: string[], format: number = ContentFormat.SENML_CBOR) {
    const notes: Note[] = [];
    const o = await h.settle(
      h.server.observeComposite(ep(), paths, (r) => notes.push({ at: t(), code: r.code, v: values(r.records) }), format),
    );
    return { notes, first: o.first, cancel: o.cancel, t0: t() };
  }

  afterEach(async () => {
    await h.close();
  });

  describe('single server, defaults pmin 0 / no pmax', () => {
    beforeEach(async () => {
      h = await openDm({ kind: 'memory', client: { objects: [6] } });
      h.client.setValue(
        '/3/0/7',
        new Map([
          [0, 3300],
          [1, 5000],
        ]),
      );
      h.client.setValue('/3/0/9', 50);
    });

    it('LightweightM2M-1.1-int-301: Observation and Notification of parameter values (pmin 5, pmax 10)', async () => {
      assert.equal((await h.settle(h.server.writeAttributes(ep(), '/3/0/7', { pmin: 5, pmax: 10 }))).code, '2.04');
      const o = await observe('/3/0/7');
      assert.equal(o.first.code, '2.05');
      assert.deepEqual(values(o.first.records), { '/3/0/7/0': 3300, '/3/0/7/1': 5000 });
      h.client.setValue('/3/0/7/0', 3000);
      await h.advance(4900);
      assert.equal(o.notes.length, 0, 'nothing before pmin');
      await h.advance(200);
      assert.equal(o.notes.length, 1);
      assert.equal(o.notes[0].v['/3/0/7/0'], 3000);
      assert.ok(o.notes[0].at - o.t0 >= 5000 && o.notes[0].at - o.t0 < 5100);
      h.client.setValue('/3/0/7/0', 3500);
      await h.advance(5100);
      assert.equal(o.notes.length, 2);
      assert.equal(o.notes[1].v['/3/0/7/0'], 3500);
      // No change: pmax after the last notification.
      await h.advance(o.notes[1].at + 9800 - t());
      assert.equal(o.notes.length, 2, JSON.stringify(o.notes.map((n) => n.at - o.t0)));
      await h.advance(300);
      assert.equal(o.notes.length, 3);
      assert.ok(Math.abs(o.notes[2].at - o.notes[1].at - 10_000) < 10, 'pmax 10 s after the last one');
      // Observe sequence numbers increase.
      const seqs = h.notifications().map((w) => getObserve(w.message)!);
      assert.equal(seqs.length, 3);
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `seq ${seqs.join(' ')}`);
      await h.settle(o.cancel());
    });

    it('LightweightM2M-1.1-int-302: Cancel Observations using Reset Operation', async () => {
      const a = await observe('/3/0/7');
      const b = await observe('/3/0/9');
      assert.equal(h.client.management.reporting!.count, 2);
      h.client.setValue('/3/0/7/0', 4000);
      await h.advance(100);
      assert.equal(a.notes.at(-1)!.v['/3/0/7/0'], 4000);
      await h.settle(a.cancel({ passive: true }));
      h.client.setValue('/3/0/7/0', 3000);
      await h.advance(100);
      assert.equal(h.client.management.reporting!.count, 1, 'the RST to the next notification ended it');
      assert.deepEqual(
        h.client.management.reporting!.list().map((x) => x.paths),
        [['/3/0/9']],
      );
      h.client.setValue('/3/0/9', 40);
      await h.advance(100);
      assert.equal(b.notes.at(-1)!.v['/3/0/9'], 40);
      await h.settle(b.cancel({ passive: true }));
      h.client.setValue('/3/0/9', 30);
      await h.advance(100);
      assert.equal(h.client.management.reporting!.count, 0);
    });

    it('LightweightM2M-1.1-int-303: Cancel observations using Observe with Cancel parameter', async () => {
      const a = await observe('/3/0/7');
      await observe('/3/0/9');
      await h.settle(a.cancel());
      assert.deepEqual(
        h.client.management.reporting!.list().map((x) => x.paths),
        [['/3/0/9']],
      );
      const before = h.notifications().length;
      h.client.setValue('/3/0/7/0', 1);
      await h.advance(1000);
      assert.equal(h.notifications().length, before, 'no notification after cancel');
    });

    it('Observe on object, instance, resource and resource instance; deleting the target ends it with 4.04', async () => {
      const obj = await observe('/1', ContentFormat.TLV);
      const inst = await observe('/3/0', ContentFormat.SENML_JSON);
      const ri = await observe('/3/0/7/1', ContentFormat.TEXT);
      assert.equal(obj.first.code, '2.05');
      assert.equal(values(inst.first.records)['/3/0/0'], 'xs-lwm2m');
      assert.equal(ri.first.text, '5000');
      assert.equal((await h.settle(h.server.write(ep(), '/1/0/3', 77))).code, '2.04');
      await h.advance(100);
      assert.equal(obj.notes.at(-1)!.v['/1/0/3'], 77, 'a DM write notifies');
      h.client.setValue('/3/0/7/1', 4900);
      await h.advance(100);
      assert.equal(ri.notes.at(-1)!.v['/3/0/7/1'], 4900);
      // Create then delete an instance under observation.
      assert.equal(
        (
          await h.settle(
            h.server.create(ep(), '/6', [
              { path: { objectId: 6, instanceId: 0, resourceId: 0 }, value: 1 },
              { path: { objectId: 6, instanceId: 0, resourceId: 1 }, value: 2 },
              { path: { objectId: 6, instanceId: 0, resourceId: 5 }, value: 3 },
            ]),
          )
        ).code,
        '2.01',
      );
      const loc = await observe('/6/0');
      assert.equal((await h.settle(h.server.delete(ep(), '/6/0'))).code, '2.02');
      await h.advance(5000);
      assert.equal(loc.notes.at(-1)!.code, '4.04');
      assert.ok(!h.client.management.reporting!.list().some((x) => x.paths[0] === '/6/0'));
    });

    it('gt / lt: a notification only when the value crosses a threshold, and it is confirmable', async () => {
      assert.equal((await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { gt: 60, lt: 20 }))).code, '2.04');
      const o = await observe('/3/0/9');
      const seen = () => o.notes.map((n) => n.v['/3/0/9']);
      for (const v of [55, 59, 61, 70, 65, 25, 19, 15, 21]) {
        h.client.setValue('/3/0/9', v);
        await h.advance(50);
      }
      // Judged against the value last sent: 61 → 25 crosses gt on the way down.
      assert.deepEqual(seen(), [61, 25, 19, 21]);
      const types = h.notifications().map((w) => w.message.type);
      assert.ok(
        types.every((x) => x === Type.CON),
        'crossings are important → CON',
      );
    });

    it('st: a notification when the value moved by at least st since the last one sent', async () => {
      assert.equal((await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { st: 5 }))).code, '2.04');
      const o = await observe('/3/0/9');
      for (const v of [52, 54, 55, 57, 59, 60, 49]) {
        h.client.setValue('/3/0/9', v);
        await h.advance(50);
      }
      assert.deepEqual(
        o.notes.map((n) => n.v['/3/0/9']),
        [55, 60, 49],
      );
      assert.ok(
        h.notifications().every((w) => w.message.type === Type.NON),
        'st alone is not important → NON',
      );
    });

    it('attribute inheritance drives timing: pmin on the object, pmax on the instance', async () => {
      await h.settle(h.server.writeAttributes(ep(), '/3', { pmin: 3 }));
      await h.settle(h.server.writeAttributes(ep(), '/3/0', { pmax: 20 }));
      const o = await observe('/3/0/9');
      h.client.setValue('/3/0/9', 51);
      await h.advance(2900);
      assert.equal(o.notes.length, 0);
      await h.advance(200);
      assert.equal(o.notes.length, 1, 'pmin 3 from /3');
      await h.advance(20_100);
      assert.equal(o.notes.length, 2, 'pmax 20 from /3/0');
      // Write-Attributes on the resource overrides; the running observation is re-timed.
      await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { pmax: 5 }));
      const n = o.notes.length;
      await h.advance(5100);
      assert.equal(o.notes.length, n + 1);
    });

    it('epmax re-evaluates a value the application did not announce; epmin delays evaluation', async () => {
      let hidden = 1;
      // A value the application keeps elsewhere: it rewrites the tree without telling the client.
      h.client.running.set(3, 0, 9, hidden);
      await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { epmax: 10 }));
      const o = await observe('/3/0/9');
      hidden = 2;
      h.client.running.set(3, 0, 9, hidden);
      await h.advance(9900);
      assert.equal(o.notes.length, 0);
      await h.advance(200);
      assert.deepEqual(
        o.notes.map((x) => x.v['/3/0/9']),
        [2],
      );
      await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { epmin: 3, epmax: null }));
      h.client.setValue('/3/0/9', 3);
      await h.advance(100);
      assert.equal(o.notes.length, 1, 'epmin: not evaluated again yet');
      await h.advance(3000);
      assert.deepEqual(
        o.notes.map((x) => x.v['/3/0/9']),
        [2, 3],
      );
    });

    it('Device Current Time ticks: a notification on /3/0/13 every pmin (1 s without one)', async () => {
      const o = await observe('/3/0/13');
      await h.advance(3050);
      assert.equal(o.notes.length, 3);
      const v = o.notes.map((n) => n.v['/3/0/13'] as number);
      assert.ok(v[1] > v[0] && v[2] > v[1]);
      await h.settle(h.server.writeAttributes(ep(), '/3/0/13', { pmin: 10 }));
      const n = o.notes.length;
      await h.advance(30_100);
      assert.ok(o.notes.length - n <= 3 && o.notes.length - n >= 2, `${o.notes.length - n} in 30 s with pmin 10`);
    });

    it('a confirmable notification at least once every 24 h; otherwise NON', async () => {
      await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { pmax: 3600 }));
      await observe('/3/0/9');
      await h.advance(25 * 3600 * 1000);
      const types = h.notifications().map((w) => w.message.type);
      assert.ok(types.length >= 24);
      const cons = types.filter((x) => x === Type.CON).length;
      assert.ok(cons >= 1 && cons <= 2, `${cons} CON of ${types.length}`);
    });

    it('a confirmable notification that times out cancels the observation', async () => {
      await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { gt: 60 }));
      await observe('/3/0/9');
      h.net!.setLink({ loss: 1 }, h.clientAddr, h.serverAddr[0]);
      h.client.setValue('/3/0/9', 70);
      await h.advance(100_000);
      assert.equal(h.client.management.reporting!.count, 0);
      h.net!.setLink({ loss: 0 }, h.clientAddr, h.serverAddr[0]);
    });

    it('observations are bounded: beyond the bound 5.03', async () => {
      await h.close();
      h = await openDm({ kind: 'memory', client: { reporting: { maxObservations: 2 } } });
      await observe('/3/0/0');
      await observe('/3/0/1');
      const third = await h.settle(h.server.observe(ep(), '/3/0/2', () => {}));
      assert.equal(third.first.code, '5.03');
      assert.equal(h.client.management.reporting!.count, 2);
      assert.equal(h.client.management.reporting!.stats.rejected, 1);
    });

    it('LightweightM2M-1.1-int-305: Cancel Observation-Composite Operation', async () => {
      const o = await observeComposite(['/1/0/1', '/3/0/11/0', '/3/0/16']);
      assert.equal(o.first.code, '2.05');
      assert.equal(h.client.management.reporting!.count, 1);
      await h.settle(o.cancel());
      assert.equal(h.client.management.reporting!.count, 0);
    });

    it('LightweightM2M-1.1-int-306: Send Operation', async () => {
      const r = await h.settle(h.client.send(101, ['/1', '/3']));
      assert.deepEqual(r, { ok: true, code: '2.04' });
      const e = h.serverEvents[0].find((x) => x.type === 'send');
      assert.ok(e && e.type === 'send');
      const v = values(e.records);
      assert.equal(v['/1/0/0'], 101);
      assert.equal(v['/3/0/0'], 'xs-lwm2m');
      assert.equal(e.contentFormat, ContentFormat.SENML_CBOR);
    });

    it('LightweightM2M-1.1-int-307: Muting Send', async () => {
      assert.equal((await h.settle(h.server.write(ep(), '/1/0/23', true))).code, '2.04');
      const r = await h.settle(h.client.send(101, ['/3/0']));
      assert.equal(r.ok, false);
      assert.equal(h.serverEvents[0].filter((x) => x.type === 'send').length, 0);
      assert.equal((await h.settle(h.server.write(ep(), '/1/0/23', false))).code, '2.04');
      assert.equal((await h.settle(h.client.send(101, ['/3/0'], ContentFormat.SENML_JSON))).ok, true);
      assert.equal(h.serverEvents[0].filter((x) => x.type === 'send').length, 1);
      assert.equal((await h.settle(h.client.send(999, ['/3/0']))).ok, false, 'no such server');
    });

    it('LightweightM2M-1.1-int-311: Send command (resource and multiple resource)', async () => {
      assert.equal((await h.settle(h.client.send(101, ['/1/0/1', '/3/0/11']))).ok, true);
      const e = h.serverEvents[0].find((x) => x.type === 'send');
      assert.ok(e && e.type === 'send');
      assert.deepEqual(values(e.records), { '/1/0/1': 3000, '/3/0/11/0': 0 });
    });
  });

  describe('Configuration C.1 (Default Minimum/Maximum Period 0)', () => {
    beforeEach(async () => {
      h = await openDm({ kind: 'memory', client: { objects: [6, 16] }, defaults: [{ pmin: 0, pmax: 0 }] });
    });

    it('LightweightM2M-1.1-int-304: Observe-Composite Operation (pmin 30, pmax 45 on /1/0/1)', async () => {
      await h.settle(h.server.writeAttributes(ep(), '/1/0/1', { pmin: 30, pmax: 45 }));
      const o = await observeComposite(['/1/0/1', '/3/0/11/0', '/3/0/16']);
      assert.deepEqual(values(o.first.records), { '/1/0/1': 3000, '/3/0/11/0': 0, '/3/0/16': 'U' });
      await h.advance(44_900);
      assert.equal(o.notes.length, 0);
      await h.advance(200);
      assert.equal(o.notes.length, 1);
      assert.deepEqual(o.notes[0].v, { '/1/0/1': 3000, '/3/0/11/0': 0, '/3/0/16': 'U' });
      await h.settle(o.cancel());
    });

    it('LightweightM2M-1.1-int-308: Observe-Composite and Creating Object Instance (Location /6, a path that does not exist yet)', async () => {
      await h.settle(h.server.writeAttributes(ep(), '/6', { pmin: 30, pmax: 45 }));
      const o = await observeComposite(['/6/0', '/3/0/16']);
      assert.deepEqual(values(o.first.records), { '/3/0/16': 'U' }, 'a path that does not exist yet is legal');
      await h.advance(45_100);
      assert.equal(o.notes.length, 1);
      const t1 = t();
      const c = await h.settle(
        h.server.create(ep(), '/6', [
          { path: { objectId: 6, instanceId: 0, resourceId: 0 }, value: 1.5 },
          { path: { objectId: 6, instanceId: 0, resourceId: 1 }, value: 2.5 },
          { path: { objectId: 6, instanceId: 0, resourceId: 5 }, value: 9 },
        ]),
      );
      assert.equal(c.code, '2.01');
      await h.until(() => o.notes.length === 2, 60_000);
      assert.ok(t() - t1 >= 29_000 && t() - t1 <= 31_000, `after pmin: ${t() - t1}`);
      assert.deepEqual(o.notes[1].v, { '/6/0/0': 1.5, '/6/0/1': 2.5, '/6/0/5': 9, '/3/0/16': 'U' });
    });

    it('LightweightM2M-1.1-int-309: Observe-Composite and Deleting Object Instance (Location /6 beside /3/0/16)', async () => {
      await h.settle(
        h.server.create(ep(), '/6', [
          { path: { objectId: 6, instanceId: 0, resourceId: 0 }, value: 1.5 },
          { path: { objectId: 6, instanceId: 0, resourceId: 1 }, value: 2.5 },
          { path: { objectId: 6, instanceId: 0, resourceId: 5 }, value: 9 },
        ]),
      );
      await h.settle(h.server.writeAttributes(ep(), '/6/0', { pmin: 30, pmax: 45 }));
      const o = await observeComposite(['/6/0', '/3/0/16']);
      assert.equal(values(o.first.records)['/6/0/0'], 1.5);
      assert.equal((await h.settle(h.server.delete(ep(), '/6/0'))).code, '2.02');
      await h.until(() => o.notes.length === 1, 60_000);
      assert.deepEqual(o.notes[0].v, { '/3/0/16': 'U' });
      assert.equal(h.client.management.reporting!.count, 1, 'a composite observation survives the deletion');
    });

    // int-308/309 as the ETS writes them: Portfolio (/16) instances created and deleted under an Observe-Composite.
    const identity = (iid: number, v: string[]) =>
      v.map((x, i) => ({ path: { objectId: 16, instanceId: iid, resourceId: 0, resourceInstanceId: i }, value: x }));

    it('LightweightM2M-1.1-int-308: Observe-Composite and Creating Object Instance (Portfolio /16)', async () => {
      assert.equal((await h.settle(h.server.create(ep(), '/16', identity(0, ['aa', 'bb', 'cc', 'dd'])))).code, '2.01');
      assert.equal((await h.settle(h.server.writeAttributes(ep(), '/16/0', { pmin: 30, pmax: 45 }))).code, '2.04');
      const o = await observeComposite(['/16/0', '/16/1']);
      assert.deepEqual(
        Object.keys(values(o.first.records)),
        ['/16/0/0/0', '/16/0/0/1', '/16/0/0/2', '/16/0/0/3'],
        'only instance 0 exists',
      );
      await h.until(() => o.notes.length === 1, 60_000);
      assert.ok(t() - o.t0 >= 29_000 && t() - o.t0 <= 45_100, `first notification after ${t() - o.t0} ms`);
      const t1 = t();
      assert.equal((await h.settle(h.server.create(ep(), '/16', identity(1, ['11', '22', '33', '44'])))).code, '2.01');
      await h.until(() => o.notes.length === 2, 60_000);
      assert.ok(t() - t1 <= 45_100, `second notification ${t() - t1} ms after the create`);
      assert.deepEqual(o.notes[1].v, {
        '/16/0/0/0': 'aa',
        '/16/0/0/1': 'bb',
        '/16/0/0/2': 'cc',
        '/16/0/0/3': 'dd',
        '/16/1/0/0': '11',
        '/16/1/0/1': '22',
        '/16/1/0/2': '33',
        '/16/1/0/3': '44',
      });
      await h.settle(o.cancel());
    });

    it('LightweightM2M-1.1-int-309: Observe-Composite and Deleting Object Instance (Portfolio /16)', async () => {
      assert.equal((await h.settle(h.server.create(ep(), '/16', identity(0, ['aa', 'bb', 'cc', 'dd'])))).code, '2.01');
      assert.equal((await h.settle(h.server.create(ep(), '/16', identity(1, ['11', '22', '33', '44'])))).code, '2.01');
      assert.equal((await h.settle(h.server.writeAttributes(ep(), '/16/0', { pmin: 30, pmax: 45 }))).code, '2.04');
      const o = await observeComposite(['/16/0', '/16/1']);
      assert.equal(Object.keys(values(o.first.records)).length, 8, 'both instances');
      await h.until(() => o.notes.length === 1, 60_000);
      assert.equal(Object.keys(o.notes[0].v).length, 8);
      assert.equal((await h.settle(h.server.delete(ep(), '/16/1'))).code, '2.02');
      await h.until(() => o.notes.length === 2, 60_000);
      assert.deepEqual(o.notes[1].v, { '/16/0/0/0': 'aa', '/16/0/0/1': 'bb', '/16/0/0/2': 'cc', '/16/0/0/3': 'dd' });
      await h.settle(o.cancel());
    });

    it('LightweightM2M-1.1-int-310: Observe-Composite and modification of parameter values', async () => {
      const o = await observeComposite(['/1/0/1', '/3/0']);
      assert.equal((await h.settle(h.server.writeAttributes(ep(), '/3', { pmax: 5 }))).code, '2.04');
      const ta = t();
      await h.until(() => o.notes.length >= 1, 10_000);
      assert.ok(t() - ta <= 5100);
      assert.equal(o.notes[0].v['/3/0/0'], 'xs-lwm2m');
      assert.equal(o.notes[0].v['/1/0/1'], 3000);
      const tb = t();
      await h.until(() => o.notes.length >= 2, 10_000);
      assert.ok(t() - tb <= 5100);
    });

    it('Server object defaults /1/x/2 and /1/x/3 pace an observation without attributes', async () => {
      await h.settle(h.server.write(ep(), '/1/0/2', 4));
      await h.settle(h.server.write(ep(), '/1/0/3', 12));
      h.client.setValue('/3/0/9', 10);
      const o = await observe('/3/0/9');
      h.client.setValue('/3/0/9', 11);
      await h.advance(3900);
      assert.equal(o.notes.length, 0);
      await h.advance(200);
      assert.equal(o.notes.length, 1, 'Default Minimum Period 4 s');
      await h.advance(12_100);
      assert.equal(o.notes.length, 2, 'Default Maximum Period 12 s');
    });
  });
});
