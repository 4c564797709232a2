// Firmware entry for the Moddable build (manifest.json: module "main").
// The SDK runs setup/network first (Wi-Fi from the ssid=/password= build
// arguments, then SNTP if sntp= is set), then calls this default export.
// The wiring lives here because device module specifiers allow one '../' at
// most; it is exported so a measuring build can start the same firmware.
import config from 'mc/config';
import { LwM2MClient } from './lwm2m/client';
import { storePersistence } from './lwm2m/persistence';
import { RecordStore } from './store/record-store';
import { startDevice, type DeviceDeps } from './platform/moddable/app';
import { setTlvBackend } from './codec/backend';
import { TlvLinearBackend } from './codec/tlv-linear';
import * as nativeTlv from './platform/moddable/tlv-native';
import { utf8Encode } from './util/utf8';

/** The TLV codec compiled to C by wasm2c (tlv-native.c), installed before anything decodes. */
export function installNativeTlv(): void {
  setTlvBackend(new TlvLinearBackend('native', nativeTlv));
}

/** The object store on flash and the LwM2M client, as the device runs them. */
export const firmwareDeps: DeviceDeps<RecordStore> = Object.freeze({
  mountStore: (flash, log) => RecordStore.mount(flash, { log }),
  createClient: (o) => new LwM2MClient({
    endpointName: o.endpointName,
    transport: o.transport,
    timers: o.timers,
    random: o.random,
    log: o.log,
    wallClock: o.wallClock,
    device: o.device,
    factory: {
      bootstrap: o.bootstrapPsk === undefined
        ? { uri: o.bootstrapUri }
        : { uri: o.bootstrapUri, psk: { identity: utf8Encode(o.bootstrapPsk.identity), key: o.bootstrapPsk.key } },
    },
    dtls: { crypto: o.dtlsCrypto },
    persistence: storePersistence(o.store, o.log),
    resolveHost: o.resolveHost,
    onEvent: o.onEvent,
    coap: o.coapBounds,
  }),
});

export default function main(): void {
  installNativeTlv();
  startDevice(config, firmwareDeps);
}
