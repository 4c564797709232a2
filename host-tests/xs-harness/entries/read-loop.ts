// A registered client inside XS serving Reads of /3/0 (TLV) with nothing
// between them but XS: the datagram goes straight to its transport and the
// answer is taken from it, so the meter of one call counts the client's own
// work for N Reads (compute units, bytes allocated). For the Read-path bench.
import * as tlvJs from 'xs:tlv-wasm2js';
import { installXsHost, jsonBytes as json, parseJsonBytes as parse, registerCall } from '../port/host';
import { createWasm2jsTlv } from '../port/tlv';
import { assembleDevice } from '../../../firmware/lwm2m/engine/device-assembly';
import type { DatagramTransport, TimerHandle, Timers } from '../../../firmware/platform/ports';
import { silentLogger } from '../../../firmware/platform/ports';
import { readRecords } from '../../../firmware/lwm2m/dm/read';
import { decodeMessage, encodeMessage } from '../../../firmware/coap/message';
import { createFormats } from '../../../firmware/formats/index';

installXsHost();

const SERVER = '10.0.0.1';
let sent: Uint8Array | undefined;
const transport: DatagramTransport = {
  onReceive: null,
  send(data: Uint8Array) {
    sent = data;
  },
  close() {},
};
// Timers run only when register() lets them (the Register's start); during the Reads nothing fires.
let due: Array<{ cb: () => void; h: TimerHandle }> = [];
const timers: Timers = {
  now: () => 0,
  setTimeout: (cb: () => void): TimerHandle => {
    const h = {};
    due.push({ cb, h });
    return h;
  },
  clearTimeout: (h: TimerHandle) => {
    due = due.filter((d) => d.h !== h);
  },
};
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !until(); i++) {
    await Promise.resolve();
    if (i % 50 === 49) {
      const d = due;
      due = [];
      for (const t of d) t.cb();
    }
  }
}
let n = 0;
const { client } = assembleDevice(
  {
    transport,
    timers,
    log: silentLogger,
    random: {
      bytes: (k: number) => {
        const b = new Uint8Array(k);
        for (let i = 0; i < k; i++) b[i] = (n++ * 31) & 255;
        return b;
      },
      float: () => ((n++ * 7919) % 1000) / 1000,
    },
    tlv: createWasm2jsTlv(tlvJs),
  },
  {
    endpointName: 'xs-read',
    device: { manufacturer: 'xs-lwm2m', modelNumber: 'bench', serialNumber: 'S1', firmwareVersion: '1.0' },
    factory: { servers: [{ uri: `coap://${SERVER}:5683`, ssid: 1, lifetime: 3000 }] },
  },
);

let mid = 0x2000;
/** GET /3/0, Accept TLV (11542), CON, token 4 bytes. */
function get30(): Uint8Array {
  mid = (mid + 1) & 0xffff;
  return Uint8Array.of(0x44, 0x01, mid >> 8, mid & 255, 0xa1, 0xb2, mid >> 8, mid & 255, 0xb1, 0x33, 0x01, 0x30, 0x62, 0x2d, 0x16);
}

registerCall('register', async () => {
  client.start();
  await settle(() => sent !== undefined);
  const reg = sent!;
  const tkl = reg[0]! & 15;
  // ACK 2.01, same MID and token, Location-Path rd/1.
  const ack = new Uint8Array(4 + tkl + 5);
  ack.set([0x60 | tkl, 0x41, reg[2]!, reg[3]!]);
  ack.set(reg.subarray(4, 4 + tkl), 4);
  ack.set([0x82, 0x72, 0x64, 0x01, 0x31], 4 + tkl);
  transport.onReceive!(ack, SERVER, 5683);
  await settle(() => client.state === 'registered');
  return json({ state: client.state });
});

registerCall('reads', (p) => {
  const { count } = parse<{ count: number }>(p);
  let bytes = 0;
  let code = 0;
  for (let i = 0; i < count; i++) {
    sent = undefined;
    transport.onReceive!(get30(), SERVER, 5683);
    bytes = sent === undefined ? -1 : (sent as Uint8Array).length;
    code = sent === undefined ? 0 : (sent as Uint8Array)[1]!;
  }
  return json({ bytes, code });
});

// Parts of one Read, each run `count` times in one call (the meter of the call is their cost).
registerCall('part', (p) => {
  const { name, count } = parse<{ name: string; count: number }>(p);
  const dm = client.management as unknown as { scope: Parameters<typeof readRecords>[0]; handle: (r: unknown, s: number) => unknown };
  const path = { objectId: 3, instanceId: 0 };
  const records = readRecords(dm.scope, path, 1);
  if (!records.ok) throw new Error('no records');
  const datagram = get30();
  const decoded = decodeMessage(datagram);
  // The TLV backend's own work left out (on the device it is C): what the JavaScript side of an encode costs.
  const be = client.formats.tlv;
  const stub = Object.create(be) as typeof be;
  Object.defineProperty(stub, 'encode', { value: () => new Uint8Array(0) });
  const jsOnly = createFormats({ tlv: stub, resolve: client.formats.resolve });
  const req = {
    method: 1,
    path: ['3', '0'],
    accept: 11542,
    peer: { address: SERVER, port: 5683 },
    query: [],
    options: [],
    payload: new Uint8Array(0),
    observe: undefined,
    contentFormat: undefined,
  };
  for (let i = 0; i < count; i++) {
    if (name === 'decode') decodeMessage(datagram);
    else if (name === 'gather') readRecords(dm.scope, path, 1);
    else if (name === 'read') dm.handle(req, 1);
    else if (name === 'encode') client.formats.encode(11542, path, records.records);
    else if (name === 'encode-js') jsOnly.encode(11542, path, records.records);
    else if (name === 'respond')
      encodeMessage(decoded.ok ? { ...decoded.message, type: 2, code: 0x45, payload: new Uint8Array(67) } : (undefined as never));
    else if (name === 'nothing') continue;
  }
  return json({ records: records.records.length });
});
