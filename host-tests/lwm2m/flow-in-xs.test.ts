// The LwM2M client engine inside the real XS engine on the host: bootstrap,
// registration, Reads and de-registration against the project's own
// Bootstrap-Server and LwM2M Server over loopback UDP, compared with the very
// same flow run by the client in Node: the same messages on the wire (modulo
// message IDs, tokens and registration ids) and the same final object state.
import assert from 'node:assert/strict';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { flowClientOptions, snapshotTree } from './flow-scenario';
import { LwM2MClient, type ClientEvent } from '../../firmware/lwm2m/engine/client';
import { decodeMessage, OptionNumber } from '../../firmware/coap/message';
import { openUdp, nodeRandom, nodeTimers } from '../../firmware/platform/node';
import { loadTlvWasm } from '../../firmware/platform/node/tlv-wasm';
import { silentLogger, type DatagramTransport } from '../../firmware/platform/ports';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer, type OperationResult } from '../../host/lwm2m-server';
import { utf8Decode } from '../../firmware/util/utf8';

const EP = 'xs-flow';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** One CoAP message as seen by a server, without what legitimately differs between runs. */
interface WireEntry {
  at: string;
  type: number;
  code: number;
  options: Array<[number, string]>;
  payload: string;
}

function normalise(at: string, data: Uint8Array): WireEntry {
  const d = decodeMessage(data);
  if (!d.ok) return { at, type: -1, code: -1, options: [], payload: hex(data) };
  const m = d.message;
  const options: Array<[number, string]> = [];
  let prev = '';
  for (const o of m.options) {
    let v = hex(o.value);
    if (o.number === OptionNumber.URI_PATH || o.number === OptionNumber.LOCATION_PATH) {
      const s = utf8Decode(o.value);
      // The registration id the server hands out counts up across runs.
      if (prev === 'rd' && /^\d+$/.test(s)) v = 'rd-id';
      prev = s;
    }
    options.push([o.number, v]);
  }
  return { at, type: m.type, code: m.code, options, payload: hex(m.payload) };
}

/** Puts a recorder between a server and its socket (both directions). */
function tap(t: DatagramTransport, name: string, wire: () => WireEntry[]): DatagramTransport {
  const proxy: DatagramTransport = {
    onReceive: null,
    send(data, address, port) {
      wire().push(normalise(`${name}>`, data));
      t.send(data, address, port);
    },
    close() {
      t.close();
    },
  };
  t.onReceive = (data, address, port) => {
    wire().push(normalise(`${name}<`, data));
    proxy.onReceive?.(data, address, port);
  };
  return proxy;
}

interface RunResult {
  wire: WireEntry[];
  reads: Record<string, unknown>;
  tree: unknown;
  events: string[];
}

async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const plainRecords = (r: OperationResult) =>
  JSON.parse(
    JSON.stringify({ code: r.code, contentFormat: r.contentFormat, records: r.records }, (_k, v) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `hex:${hex(v)}` : v,
    ),
  );

describe('LwM2M flow in XS vs Node (bootstrap, register, Read, de-register over loopback UDP)', function () {
  this.timeout(30000);
  let wire: WireEntry[] = [];
  let bs: BootstrapServer;
  let server: LwM2MServer;
  let bsUri = '';
  const closers: Array<() => void> = [];
  const results: Record<'node' | 'xs', RunResult | undefined> = { node: undefined, xs: undefined };

  before(async () => {
    const bsT = await openUdp({ address: '127.0.0.1', port: 0 });
    const srvT = await openUdp({ address: '127.0.0.1', port: 0 });
    bsUri = `coap://127.0.0.1:${bsT.port}`;
    server = new LwM2MServer({ transport: tap(srvT, 'srv', () => wire), timers: nodeTimers, random: nodeRandom, log: silentLogger });
    bs = new BootstrapServer({
      transport: tap(bsT, 'bs', () => wire),
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvT.port}`, ssid: 101, lifetime: 300 }] } } },
    });
    closers.push(
      () => server.close(),
      () => bs.close(),
    );
  });
  after(() => {
    for (const c of closers.reverse()) c();
  });

  async function serverSide(events: () => string[]): Promise<Pick<RunResult, 'reads'>> {
    await until(() => server.clients.has(EP), 10000, 'registration');
    const reads: Record<string, unknown> = {};
    for (const p of ['/3/0', '/1/0', '/3/0/0']) reads[p] = plainRecords(await server.read(EP, p));
    assert.ok(events().length > 0);
    return { reads };
  }

  it('runs the flow with the client in Node (the reference)', async () => {
    wire = [];
    const events: string[] = [];
    const t = await openUdp({ address: '127.0.0.1', port: 0 });
    const client = new LwM2MClient({
      ...flowClientOptions(EP, bsUri),
      transport: t,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      tlv: loadTlvWasm(), // the codecs XS has: the same tlv.wasm, the built-in CBOR
      onEvent: (e: ClientEvent) => events.push(e.type === 'state' ? `state ${e.state}` : e.type),
    });
    try {
      client.start();
      await until(() => client.state === 'registered', 10000, 'Node client registered');
      const { reads } = await serverSide(() => events);
      const tree = snapshotTree(client.running);
      await client.stop();
      await until(() => !server.clients.has(EP), 5000, 'de-registration');
      results.node = { wire, reads, tree: JSON.parse(JSON.stringify(tree)), events };
    } finally {
      t.close(); // LwM2MClient.stop() closes its CoAP endpoint, not the socket
    }
    assert.equal((results.node.reads['/3/0'] as { code: string }).code, '2.05');
  });

  it('runs the same flow with the client inside XS: same wire messages, reads and final object state', async () => {
    assert.ok(results.node, 'the Node reference run passed');
    wire = [];
    const events: string[] = [];
    const host = await XsHost.start({
      script: (await bundleForXs('host-tests/xs-harness/entries/flow.ts')).code,
      onEvent: (name, p) => {
        if (name !== 'client') return;
        const e = JSON.parse(utf8Decode(p)) as ClientEvent;
        events.push(e.type === 'state' ? `state ${e.state}` : e.type);
      },
    });
    try {
      await host.callJson('start', { endpointName: EP, bsUri });
      await until(async () => (await host.callJson<{ state: string }>('state')).state === 'registered', 10000, 'XS client registered');
      const { reads } = await serverSide(() => events);
      const st = await host.callJson<{ tree: unknown; coap: { handlerErrors: number } }>('state');
      const stopped = host.waitEvent('stopped');
      await host.callJson('stop');
      await stopped;
      await until(() => !server.clients.has(EP), 5000, 'de-registration');
      results.xs = { wire, reads, tree: st.tree, events };
      assert.equal(st.coap.handlerErrors, 0);
      assert.deepEqual(host.errors, []);
      assert.deepEqual(host.errorLogs, []);
    } finally {
      await host.close();
    }
    const node = results.node!,
      xs = results.xs;
    assert.deepEqual(xs.events, node.events);
    assert.deepEqual(xs.reads, node.reads);
    assert.deepEqual(xs.tree, node.tree);
    assert.equal(xs.wire.length, node.wire.length, 'same number of messages');
    assert.deepEqual(xs.wire, node.wire);
    console.log(`      ${node.wire.length} messages compared; events: ${node.events.join(', ')}`);
    // The flow is what we think it is.
    const requests = node.wire.filter((w) => w.code >= 1 && w.code <= 7 && w.at.endsWith('<')).length;
    assert.ok(requests >= 3, `client sent ${requests} requests`);
  });
});
