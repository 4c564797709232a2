// XS entry (bundled by host-tests/xs-harness/bundle.ts, run in xsnap by
// host-tests/bench/update.bench.ts): the LwM2M client with Firmware Update
// inside the real XS engine, registered to a host LwM2M Server, its images
// going to a slot that keeps no bytes (on a device they go to flash, which is
// not heap) — so the heap figures are the client's own cost of an update.
import * as tlvJs from 'xs:tlv-wasm2js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  emitEvent,
  installXsHost,
  jsonBytes as json,
  openXsUdp,
  parseJsonBytes as parse,
  registerCall,
  xsLogger,
  xsRandom,
  xsTimers,
} from '../port/host';
import { createWasm2jsTlv } from '../port/tlv';
import { LwM2MClient } from '../../../firmware/lwm2m/engine/client';
import { hostImageFormat, type HashStream } from '../../../firmware/lwm2m/firmware-update/image';
import type { FirmwareSlot, Logger } from '../../../firmware/platform/ports';

installXsHost();

/** Counts what it is given and keeps none of it. */
class CountingSlot implements FirmwareSlot {
  readonly boot = 'normal' as const;
  written = 0;
  largestWrite = 0;
  constructor(readonly capacity: number) {}
  open(): string | undefined {
    this.written = 0;
    return undefined;
  }
  write(data: Uint8Array): string | undefined {
    this.written += data.length;
    if (data.length > this.largestWrite) this.largestWrite = data.length;
    return undefined;
  }
  abort(): void {
    this.written = 0;
  }
  close(): string | undefined {
    return undefined;
  }
  activate(): string | undefined {
    return 'this slot does not boot';
  }
  confirm(): void {}
}

const nobleSha256 = (): HashStream => {
  const h = sha256.create();
  return {
    update: (d) => {
      h.update(d);
    },
    digest: () => h.digest(),
  };
};

const quiet: Logger = { error: (m) => xsLogger.error(m), warn: () => {}, info: () => {}, debug: () => {} };
let client: LwM2MClient | null = null;
let slot: CountingSlot | null = null;

registerCall('start', (p) => {
  const o = parse<{ endpointName: string; serverUri: string; capacity: number }>(p);
  slot = new CountingSlot(o.capacity);
  // A pending update needs a store only for Update; a push up to Downloaded does not.
  const pending = { load: () => undefined, save: () => true };
  client = new LwM2MClient({
    endpointName: o.endpointName,
    transport: openXsUdp({ address: '127.0.0.1' }),
    timers: xsTimers,
    random: xsRandom,
    log: quiet,
    tlv: createWasm2jsTlv(tlvJs),
    factory: { servers: [{ uri: o.serverUri, ssid: 1, lifetime: 300 }] },
    device: { manufacturer: 'xs-lwm2m', modelNumber: 'xs', serialNumber: 'S1', firmwareVersion: '1.0.0' },
    firmware: { slot, format: hostImageFormat, sha256: nobleSha256, store: pending },
    onEvent: (e) => {
      if (e.type === 'registered') emitEvent('registered');
    },
  });
  client.start();
  return json(null);
});

registerCall('slot', () => json({ written: slot?.written ?? 0, largestWrite: slot?.largestWrite ?? 0 }));

registerCall('tables', () => {
  const o = client?.endpoint.occupancy;
  return json(
    o ? { dedup: o.dedup.size, block1: o.block1.size, block2: o.block2.size, relations: o.relations.size, cons: o.cons.size } : null,
  );
});
