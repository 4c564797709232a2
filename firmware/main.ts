// Firmware entry for the Moddable build (manifest.json: module "main").
// The SDK runs setup/network first (Wi-Fi from the ssid=/password= build
// arguments, then SNTP if sntp= is set), then calls this default export.
// The wiring lives here because device module specifiers allow one '../' at
// most; it is exported so a measuring build can start the same firmware.
import config from 'mc/config';
import { LwM2MClient } from './lwm2m/client';
import { pendingUpdateStore, storePersistence } from './lwm2m/persistence';
import { ESP_CHIP_ID, esp32ImageFormat, hostImageFormat } from './lwm2m/fw-image';
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
    // An Update survives the restart in the same store as the configuration.
    ...(o.firmware === undefined ? {} : { firmware: { ...o.firmware, store: pendingUpdateStore(o.store, o.log) } }),
  }),
  imageFormat: (kind) => {
    if (kind === 'host') return hostImageFormat;
    const chip = (ESP_CHIP_ID as Readonly<Record<string, number>>)[kind];
    return chip === undefined ? `firmwareImage=${kind} is not one of host, ${Object.keys(ESP_CHIP_ID).join(', ')}` : esp32ImageFormat(chip);
  },
});

export default function main(): void {
  installNativeTlv();
  startDevice(config, firmwareDeps);
}
