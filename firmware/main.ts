// Firmware entry of the reference firmware (manifest.json: module "main"), one
// app on the xs-lwm2m library (manifest_lwm2m.json) with no objects of its
// own: what an app's main does (examples/moddable-sensors serves a few).
// The SDK runs setup/network first (Wi-Fi from the ssid=/password= build
// arguments, then SNTP if sntp= is set), then calls this default export.
import config from 'mc/config';
import { startDevice } from './xs-lwm2m';

export default function main(): void {
  startDevice(config);
}
