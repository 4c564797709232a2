// The device flow that `npm run test:moddable` puts the lin firmware through,
// driven from the LwM2M Server side so the Node client runs the very same
// steps as a reference: bootstrap (our Bootstrap-Server) → register → Read /3/0
// in TLV and in SenML CBOR → Write-Attributes + Observe /3/0/14 → two Writes
// of /3/0/14, each notified, one read back → Cancel → Execute /1/0/8 (Update).
// The wire between the servers and the client is recorded in a form that
// leaves out what legitimately differs between two runs (message IDs, tokens,
// the registration id, the Observe sequence numbers, Current Time /3/0/13).
import assert from 'node:assert/strict';
import { decodeMessage, OptionNumber, codeString } from '../../firmware/coap/message';
import { ContentFormat, createFormats } from '../../firmware/formats';
import { formatPath, parsePath } from '../../firmware/model/path';
import type { DatagramTransport } from '../../firmware/platform/ports';
import { toHex } from '../../firmware/util/hex';
import { utf8Decode } from '../../firmware/util/utf8';
import type { LwM2MServer, ServerEvent, OperationResult } from '../../host/lwm2m-server';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

/** One CoAP message as a server saw it, normalised. */
export interface WireEntry {
  at: string;
  type: number;
  code: string;
  options: Array<[number, string]>;
  payload: string;
}

const CURRENT_TIME = '/3/0/13';

/**
 * Records what crosses a server's socket. Responses are decoded against the
 * request they answer (matched by token) so a changing Current Time can be
 * masked in a Read of /3/0.
 */
export class WireRecorder {
  entries: WireEntry[] = [];
  private readonly paths = new Map<string, string>();

  /** Puts the recorder between a server and its socket (both directions). */
  tap(t: DatagramTransport, name: string): DatagramTransport {
    const proxy: DatagramTransport = {
      onReceive: null,
      send: (data, address, port) => {
        this.record(`${name}>`, data);
        t.send(data, address, port);
      },
      close: () => t.close(),
    };
    t.onReceive = (data, address, port) => {
      this.record(`${name}<`, data);
      proxy.onReceive?.(data, address, port);
    };
    return proxy;
  }

  reset(): void {
    this.entries = [];
    this.paths.clear();
  }

  private record(at: string, data: Uint8Array): void {
    const d = decodeMessage(data);
    if (!d.ok) {
      this.entries.push({ at, type: -1, code: 'bad', options: [], payload: toHex(data) });
      return;
    }
    const m = d.message;
    const token = toHex(m.token);
    const options: Array<[number, string]> = [];
    const uriPath: string[] = [];
    let contentFormat: number | undefined;
    let prev = '';
    for (const o of m.options) {
      let v = toHex(o.value);
      if (o.number === OptionNumber.URI_PATH || o.number === OptionNumber.LOCATION_PATH) {
        const s = utf8Decode(o.value);
        if (o.number === OptionNumber.URI_PATH) uriPath.push(s);
        if (prev === 'rd' && /^\d+$/.test(s)) v = 'rd-id'; // the server's registration counter
        prev = s;
      }
      if (o.number === OptionNumber.OBSERVE && m.code >= 64) v = 'seq'; // a notification's sequence number starts at random
      if (o.number === OptionNumber.CONTENT_FORMAT) contentFormat = o.value.reduce((n, b) => n * 256 + b, 0);
      options.push([o.number, v]);
    }
    if (m.code >= 1 && m.code <= 31 && at.endsWith('>')) this.paths.set(token, `/${uriPath.join('/')}`);
    const path = m.code >= 64 ? this.paths.get(token) : undefined;
    this.entries.push({ at, type: m.type, code: codeString(m.code), options, payload: maskedPayload(m.payload, contentFormat, path) });
  }
}

/** The payload as hex, or, for a Read that carries Current Time, its records with that value masked. */
function maskedPayload(payload: Uint8Array, contentFormat: number | undefined, path: string | undefined): string {
  if (path === undefined || contentFormat === undefined || payload.length === 0) return toHex(payload);
  if (!(CURRENT_TIME.startsWith(path) || path === CURRENT_TIME)) return toHex(payload);
  const p = parsePath(path);
  const dec = p ? formats.decode(contentFormat, payload, p) : undefined;
  if (!dec?.ok) return toHex(payload);
  return JSON.stringify(
    dec.value.records.map((r) => {
      const at = formatPath(r.path);
      return [at, at === CURRENT_TIME ? 'T' : r.value];
    }),
    (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? toHex(v) : v),
  );
}

export async function until(pred: () => boolean, ms: number, what: string, diagnostics: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${diagnostics() ? `\n${diagnostics()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const valueOf = (r: OperationResult, rid: number) => r.records?.find((x) => x.path.resourceId === rid)?.value;

export interface FlowOutcome {
  /** Step → what came back, for the report. */
  steps: Array<[string, string]>;
  notifications: string[];
}

/**
 * Drives one registered client through the DM / reporting part of the flow.
 * `events` is the server's event log (registered, updated …).
 */
export async function deviceManagementFlow(
  server: LwM2MServer,
  ep: string,
  events: ServerEvent[],
  expect: { manufacturer: string },
): Promise<FlowOutcome> {
  const steps: Array<[string, string]> = [];
  const note = (name: string, r: OperationResult) => steps.push([name, `${r.code}${r.records ? ` ${r.records.length} records` : ''}`]);

  const tlv = await server.read(ep, '/3/0', ContentFormat.TLV);
  note('Read /3/0 TLV', tlv);
  assert.equal(tlv.code, '2.05', `Read /3/0 TLV: ${tlv.code} ${tlv.text ?? ''}`);
  assert.equal(tlv.contentFormat, ContentFormat.TLV);
  assert.equal(valueOf(tlv, 0), expect.manufacturer);

  const cbor = await server.read(ep, '/3/0', ContentFormat.SENML_CBOR);
  note('Read /3/0 SenML CBOR', cbor);
  assert.equal(cbor.code, '2.05', `Read /3/0 SenML CBOR: ${cbor.code} ${cbor.text ?? ''}`);
  assert.equal(cbor.contentFormat, ContentFormat.SENML_CBOR);
  assert.deepEqual(
    cbor.records?.map((r) => r.path.resourceId),
    tlv.records?.map((r) => r.path.resourceId),
  );

  const attrs = await server.writeAttributes(ep, '/3/0/14', { pmax: 300 });
  note('Write-Attributes /3/0/14 pmax=300', attrs);
  assert.equal(attrs.code, '2.04');

  const notifications: string[] = [];
  const obs = await server.observe(ep, '/3/0/14', (r) => notifications.push(String(valueOf(r, 14))), ContentFormat.TEXT);
  note('Observe /3/0/14', obs.first);
  assert.equal(obs.first.code, '2.05');

  for (const [i, offset] of ['+02:00', '+01:00'].entries()) {
    const w = await server.write(ep, '/3/0/14', offset, { format: ContentFormat.TEXT });
    note(`Write /3/0/14 ${offset}`, w);
    assert.equal(w.code, '2.04', `Write /3/0/14: ${w.code} ${w.text ?? ''}`);
    await until(() => notifications.length > i, 5000, `notification ${i + 1} of /3/0/14`);
    assert.equal(notifications[i], offset);
    const back = await server.read(ep, '/3/0/14', ContentFormat.TEXT);
    note('Read /3/0/14', back);
    assert.equal(valueOf(back, 14), offset);
  }
  await obs.cancel();
  steps.push(['Cancel Observe /3/0/14', `${notifications.length} notifications`]);

  const updatesBefore = events.filter((e) => e.type === 'updated' && e.reg.endpoint === ep).length;
  const x = await server.execute(ep, '/1/0/8');
  note('Execute /1/0/8', x);
  assert.equal(x.code, '2.04');
  await until(
    () => events.filter((e) => e.type === 'updated' && e.reg.endpoint === ep).length > updatesBefore,
    10000,
    'the Registration Update',
  );
  steps.push(['Update after /1/0/8', 'received']);
  return { steps, notifications };
}
