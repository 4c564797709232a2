// The library's entry for a Moddable app (module "xs-lwm2m", manifest_lwm2m.json):
// the device wiring — the object store on flash, the LwM2M client, the native
// TLV codec — and what an app needs to serve its own objects. An app's main:
//
//   import config from 'mc/config';
//   import { startDevice, sensorObject } from 'xs-lwm2m';
//   export default function main() {
//     const t = sensorObject({ id: 3303, units: 'Cel' });
//     startDevice(config, { objects: [t.spec] });
//     t.set(21.5);
//   }
//
// The wiring lives at the top of the firmware tree because device module
// specifiers allow one '../' at most (platform/moddable/app cannot reach lwm2m/).
import { LwM2MClient } from './lwm2m/client';
import { pendingUpdateStore, storePersistence } from './lwm2m/persistence';
import { ESP_CHIP_ID, esp32ImageFormat, hostImageFormat } from './lwm2m/fw-image';
import { RecordStore } from './store/record-store';
import { startDevice as startPlatform, type DeviceApp, type DeviceApplication, type DeviceDeps } from './platform/moddable/app';
import { createFormats, type ContentFormats } from './formats/index';
import { TlvLinearBackend } from './codec/tlv-linear';
import * as nativeTlv from './platform/moddable/tlv-native';
import { utf8Encode } from './util/utf8';

export { sensorObject, outputObject, pushButtonObject, IPSO } from './lwm2m/ipso-objects';
export type { Sensor, SensorOptions, OutputOptions, PushButton, PushButtonOptions } from './lwm2m/ipso-objects';
export type { ObjectSpec, ObjectHandler, InstanceSpec, ReadRequest, WriteRequest, ExecuteRequest, CreateRequest, DeleteRequest, Refusal } from './lwm2m/object-api';
export type { DeviceApp, DeviceApplication, DeviceDeps } from './platform/moddable/app';
/** The device's wall clock (SNTP once the network is up), for sensor and button timestamps. */
export { systemClock } from './platform/moddable/clock';

/** The content formats on the device: TLV on the codec compiled to C by wasm2c (tlv-native.c), the built-in CBOR. */
export function deviceFormats(): ContentFormats {
  return createFormats({ tlv: new TlvLinearBackend('native', nativeTlv) });
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
    formats: deviceFormats(),
    // Reboot and Factory Reset (/3/0/4, /3/0/5) end in the platform's restart.
    device: { ...o.device, reboot: o.reboot },
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
    objects: o.objects,
    // Queue Mode (queueMode=1): radio off after the window, deep sleep with the session in retained memory.
    ...(o.queueMode === undefined ? {} : { queueMode: o.queueMode }),
    // An Update survives the restart in the same store as the configuration.
    ...(o.firmware === undefined ? {} : { firmware: { ...o.firmware, store: pendingUpdateStore(o.store, o.log) } }),
  }),
  imageFormat: (kind) => {
    if (kind === 'host') return hostImageFormat;
    const chip = (ESP_CHIP_ID as Readonly<Record<string, number>>)[kind];
    return chip === undefined ? `firmwareImage=${kind} is not one of host, ${Object.keys(ESP_CHIP_ID).join(', ')}` : esp32ImageFormat(chip);
  },
});

/**
 * Starts the device: store, Wi-Fi, then the LwM2M client serving the
 * application's objects beside its own (Security, Server, Access Control,
 * Device, Firmware Update). `config` is the build's mc/config; `deps` is for
 * a measuring build that wraps the client's transport.
 */
export function startDevice(config: Readonly<Record<string, unknown>>, app: DeviceApplication = {}, deps: DeviceDeps<RecordStore> = firmwareDeps): DeviceApp | undefined {
  return startPlatform(config, deps, app);
}
