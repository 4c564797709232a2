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
import { assembleDevice, mountStore } from './lwm2m/engine/device-assembly';
import { ESP_CHIP_ID, esp32ImageFormat, hostImageFormat } from './lwm2m/firmware-update/image';
import { RecordStore } from './store/record-store';
import { startDevice as startPlatform, type DeviceApp, type DeviceApplication, type DeviceDeps } from './platform/moddable/app';
import { TlvLinearBackend } from './codec/tlv-linear';
import * as nativeTlv from './platform/moddable/tlv-native';
import { utf8Encode } from './util/utf8';

export { sensorObject, outputObject, pushButtonObject, IPSO } from './lwm2m/objects/ipso-objects';
export type { Sensor, SensorOptions, OutputOptions, PushButton, PushButtonOptions } from './lwm2m/objects/ipso-objects';
export type {
  ObjectSpec,
  ObjectHandler,
  InstanceSpec,
  ReadRequest,
  WriteRequest,
  ExecuteRequest,
  CreateRequest,
  DeleteRequest,
  Refusal,
} from './lwm2m/objects/object-api';
export type { DeviceApp, DeviceApplication, DeviceDeps } from './platform/moddable/app';
/** The device's wall clock (SNTP once the network is up), for sensor and button timestamps. */
export { systemClock } from './platform/moddable/clock';

/** The object store on flash and the LwM2M client, as the device runs them (the core's device assembly). */
export const firmwareDeps: DeviceDeps<RecordStore> = Object.freeze({
  mountStore: (flash, log) => mountStore(flash, log),
  createClient: (o) =>
    assembleDevice(
      {
        transport: o.transport,
        timers: o.timers,
        random: o.random,
        log: o.log,
        wallClock: o.wallClock,
        store: o.store,
        dtlsCrypto: o.dtlsCrypto,
        // An Update survives the restart in the same store as the configuration.
        ...(o.firmware === undefined ? {} : { firmware: o.firmware }),
        resolveHost: o.resolveHost,
        // TLV on the codec compiled to C by wasm2c (tlv-native.c); CBOR on the core's own codec.
        tlv: new TlvLinearBackend('native', nativeTlv),
      },
      {
        endpointName: o.endpointName,
        // Reboot and Factory Reset (/3/0/4, /3/0/5) end in the platform's restart.
        device: { ...o.device, reboot: o.reboot },
        factory: {
          bootstrap:
            o.bootstrapPsk === undefined
              ? { uri: o.bootstrapUri }
              : { uri: o.bootstrapUri, psk: { identity: utf8Encode(o.bootstrapPsk.identity), key: o.bootstrapPsk.key } },
        },
        onEvent: o.onEvent,
        coap: o.coapBounds,
        objects: o.objects,
        // Queue Mode (queueMode=1): radio off after the window, deep sleep with the session in retained memory.
        ...(o.queueMode === undefined ? {} : { queueMode: o.queueMode }),
      },
    ).client,
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
export function startDevice(
  config: Readonly<Record<string, unknown>>,
  app: DeviceApplication = {},
  deps: DeviceDeps<RecordStore> = firmwareDeps,
): DeviceApp | undefined {
  return startPlatform(config, deps, app);
}
