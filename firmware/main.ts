// Firmware entry for the Moddable build (manifest.json: module "main").
// The SDK runs setup/network first (Wi-Fi from the ssid=/password= build
// arguments), then calls this default export.
import config from 'mc/config';
import { LwM2MClient } from './lwm2m/client';
import { RecordStore } from './store/record-store';
import { startDevice } from './platform/moddable/app';

export default function main(): void {
  startDevice(config, {
    mountStore: (flash, log) => RecordStore.mount(flash, { log }),
    createClient: (options) => new LwM2MClient(options),
  });
}
