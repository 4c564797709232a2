// An ESP32 dev board as an LwM2M device with objects of its own, on the
// xs-lwm2m library (../../manifest_lwm2m.json):
//  - Temperature (3303): the Moddable SDK has no module for an ESP32 chip's
//    own temperature sensor, so the app feeds a reading every sampleSeconds —
//    simulated here (a slow 20–26 °C ramp); put a real sensor's read there
//    (e.g. the SDK's ECMA-419 TMP102/SHT3x drivers on I²C);
//  - Light Control (3311) on the board LED (ledPin) through ECMA-419 Digital:
//    a server's Write of On/Off (5850) switches it;
//  - Push button (3347) on the BOOT button (buttonPin) through Digital input
//    with onReadable: state, press counter, Counter Reset;
//  - BinaryAppDataContainer (19): no instance at start; a server may Create up
//    to MAX_APP_DATA instances and Delete them.
// Reboot (/3/0/4) and Factory Reset (/3/0/5) restart the board.
//
// The objects are made in application(), at run time: this module is
// preloaded, and what it makes at load time would be frozen into flash.
// application() is exported for a measuring build (host-tests/moddable/probe).
import config from 'mc/config';
import Timer from 'timer';
import Digital from 'embedded:io/digital';
import { outputObject, pushButtonObject, sensorObject, startDevice, systemClock, type DeviceApplication } from 'xs-lwm2m';

declare const trace: (line: string) => void;

/** Build arguments of this app (manifest.json "config", or mcconfig key=value). */
interface SensorsConfig {
  /** GPIO of the LED the Light Control drives; -1: none (the state is only traced). */
  ledPin?: number;
  ledActiveLow?: number;
  /** GPIO of the push button (BOOT: 0 on ESP32 and ESP32-S3, 9 on ESP32-C3), pressed = low; -1: none. */
  buttonPin?: number;
  /** Seconds between two temperature readings. */
  sampleSeconds?: number;
}

/** BinaryAppDataContainer instances a server may create. */
export const MAX_APP_DATA = 4;
const LIGHT_ON_OFF = 5850;

/** The simulated reading: 20.0 → 26.0 → 20.0 °C in steps of 0.5. */
export function simulatedTemperature(step: number): number {
  const k = step % 24;
  return 20 + 0.5 * (k <= 12 ? k : 24 - k);
}

export function application(): DeviceApplication {
  const c = config as unknown as SensorsConfig;

  const temperature = sensorObject({ id: 3303, units: 'Cel', range: [-40, 125], clock: systemClock });
  let step = 0;
  const sample = () => {
    temperature.set(simulatedTemperature(step++));
  };
  sample();
  Timer.repeat(sample, Math.max(1, c.sampleSeconds ?? 10) * 1000);

  const ledPin = c.ledPin ?? -1;
  const onLevel = c.ledActiveLow ? 0 : 1;
  const led = ledPin >= 0 ? new Digital({ pin: ledPin, mode: Digital.Output }) : undefined;
  led?.write(onLevel ? 0 : 1);
  const light = outputObject({
    id: 3311,
    initial: { [LIGHT_ON_OFF]: false },
    onWrite(_instanceId, resourceId, value) {
      if (resourceId !== LIGHT_ON_OFF) return;
      led?.write(value === true ? onLevel : onLevel ? 0 : 1);
      trace(`[app] light ${value === true ? 'on' : 'off'}\n`);
    },
  });

  const button = pushButtonObject({ clock: systemClock });
  const buttonPin = c.buttonPin ?? -1;
  if (buttonPin >= 0) {
    new Digital({
      pin: buttonPin,
      mode: Digital.InputPullUp,
      edge: Digital.Rising | Digital.Falling,
      onReadable(this: Digital) {
        const pressed = this.read() === 0;
        button.input(pressed);
        trace(`[app] button ${pressed ? 'pressed' : 'released'} (${button.count()})\n`);
      },
    });
  }

  return { objects: [temperature.spec, light, button.spec, { id: 19, maxInstances: MAX_APP_DATA }] };
}

export default function main(): void {
  startDevice(config, application());
}
