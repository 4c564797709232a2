// The firmware with a measuring probe, for `npm run bench` on the Moddable
// Linux runtime (manifest.json here: the project's manifest, this module as
// the main one; manifest-sensors.json: the example app's). It starts the very
// firmware of the app's main — its objects when the app's main exports
// `application()` (examples/moddable-sensors) — and wraps the client's UDP
// transport in a ServeTimer:
//  - every request is timed from its datagram's arrival to the first datagram
//    sent back (the client serving it), with a microsecond clock;
//  - in memory mode (from the start), after every datagram the client sends, a full garbage
//    collection runs and the live slot and chunk heaps are read, so the
//    largest live set along a flow is known (the heaps' own "used" figures
//    include garbage not yet collected).
// The bench steers it with CoAP requests to /probe/* on the firmware's own
// port (they never reach the client): POST /probe/memory, POST /probe/timing,
// GET /probe/report (JSON).
// Built with oracle=<ip>:<port>, it runs the crypto oracle (probe/crypto-oracle)
// instead of the firmware: the DTLS crypto port and a DTLS client answering
// host-tests/moddable/crypto-port.test.ts.
import config from 'mc/config';
import Debug from 'debug';
import Instrumentation from 'instrumentation';
import microseconds from 'probe/clock';
import * as appMain from 'main';
import { firmwareDeps, startDevice } from 'xs-lwm2m';
import type { DeviceApplication } from 'platform/moddable/app';
import { Code, Type, decodeMessage, encodeMessage, OptionNumber } from 'coap/message';
import { utf8Decode, utf8Encode } from 'util/utf8';
import { ServeTimer, requestKind } from 'probe/serve-timer';
import { startCryptoOracle } from 'probe/crypto-oracle';
import { moddableCrypto } from 'platform/moddable/crypto';
import { hardwareRandom } from 'platform/moddable/random';
import { ModdableUdpTransport } from 'platform/moddable/udp-transport';
import { ModdableTimers } from 'platform/moddable/timers';
import { createTraceLogger } from 'platform/moddable/log';
import { ccmOpen, ccmSeal } from 'dtls/ccm';
import { DtlsTransport } from 'dtls/transport';
import { toHex } from 'util/hex';
import type { DatagramTransport } from 'platform/ports';

interface Live {
  samples: number;
  slotBytes: number;
  chunkBytes: number;
  slotPeakAt: string;
}

/** DTLS record content types (RFC 6347 §4.1), as the probe names what arrived before a memory peak. */
const DTLS_RECORDS: Readonly<Record<number, string>> = Object.freeze({
  20: 'dtls change_cipher_spec',
  21: 'dtls alert',
  22: 'dtls handshake',
  23: 'dtls application_data',
});

function uriPath(data: Uint8Array): { code: number; path: string[] } | undefined {
  const d = decodeMessage(data);
  if (!d.ok) return undefined;
  const path: string[] = [];
  for (const o of d.message.options) if (o.number === OptionNumber.URI_PATH) path.push(utf8Decode(o.value));
  return { code: d.message.code, path };
}

function probed(inner: DatagramTransport): DatagramTransport {
  // Looked up at run time: a native call cannot run while the module is preloaded.
  const slotHeap = Instrumentation.map('XS Slot Heap Used') ?? 0;
  const chunkHeap = Instrumentation.map('XS Chunk Heap Used') ?? 0;
  const live: Live = { samples: 0, slotBytes: 0, chunkBytes: 0, slotPeakAt: '' };
  let lastReceived = '(start)';
  // Memory mode from the start (bootstrap included), until POST /probe/timing.
  let memory = true;
  const timer: ServeTimer = new ServeTimer(inner, {
    now: microseconds,
    describe: (data) => {
      const dtls = DTLS_RECORDS[data[0] ?? 0];
      if (dtls !== undefined) {
        lastReceived = dtls;
        return undefined;
      } // coaps: the CoAP inside is not visible here
      const r = uriPath(data);
      const kind = r === undefined ? undefined : requestKind(r.code, r.path);
      lastReceived = kind ?? (r ? `response ${r.code}` : 'other');
      return kind;
    },
    afterSend: () => {
      if (!memory) return;
      Debug.gc();
      live.samples++;
      const slots = Instrumentation.get(slotHeap) ?? 0;
      if (slots > live.slotBytes) {
        live.slotBytes = slots;
        live.slotPeakAt = lastReceived;
      }
      live.chunkBytes = Math.max(live.chunkBytes, Instrumentation.get(chunkHeap) ?? 0);
    },
    intercept: (data, address, port) => {
      const r = uriPath(data);
      if (r === undefined || r.path[0] !== 'probe') return false;
      const d = decodeMessage(data);
      if (!d.ok) return true;
      let payload: Uint8Array = new Uint8Array(0);
      if (r.path[1] === 'memory') {
        memory = true;
        timer.timing = false;
      } else if (r.path[1] === 'timing') {
        memory = false;
        timer.timing = true;
        timer.samples.clear();
      } else if (r.path[1] === 'report') payload = utf8Encode(JSON.stringify({ times: timer.summary(), live }));
      inner.send(
        encodeMessage({
          type: Type.ACK,
          code: payload.length > 0 ? Code.CONTENT : Code.CHANGED,
          messageId: d.message.messageId,
          token: d.message.token,
          options: [],
          payload,
        }),
        address,
        port,
      );
      return true;
    },
  });
  timer.timing = false;
  return timer;
}

function oracle(where: string): void {
  const [address, port] = where.split(':');
  const log = createTraceLogger('info', undefined, 'oracle');
  const slotHeap = Instrumentation.map('XS Slot Heap Used') ?? 0;
  const chunkHeap = Instrumentation.map('XS Chunk Heap Used') ?? 0;
  startCryptoOracle({
    oracle: { address: address ?? '127.0.0.1', port: Number(port) },
    crypto: moddableCrypto,
    ccmSeal,
    ccmOpen,
    Dtls: DtlsTransport,
    openUdp: (maxDatagramBytes) => new ModdableUdpTransport({ log, maxDatagramBytes }),
    timers: new ModdableTimers(log),
    random: hardwareRandom,
    log,
    now: microseconds,
    live: () => {
      Debug.gc();
      return { slots: Instrumentation.get(slotHeap) ?? 0, chunk: Instrumentation.get(chunkHeap) ?? 0 };
    },
    utf8Encode,
    toHex,
  });
}

export default function main(): void {
  const where = (config as unknown as Record<string, unknown>).oracle;
  if (typeof where === 'string' && where.length > 0) {
    oracle(where);
    return;
  }
  // The reference firmware's main has no objects; an example app's exports how it makes them.
  const application = (appMain as unknown as { application?: () => DeviceApplication }).application;
  startDevice(config, application?.() ?? {}, {
    mountStore: firmwareDeps.mountStore,
    createClient: (o) => firmwareDeps.createClient({ ...o, transport: probed(o.transport) }),
    imageFormat: firmwareDeps.imageFormat,
  });
}
