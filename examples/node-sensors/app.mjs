#!/usr/bin/env node
// A Node application on xs-lwm2m: a temperature sensor, a light and a button
// as LwM2M objects, bootstrapped from your Bootstrap-Server.
//   node examples/node-sensors/app.mjs coap://127.0.0.1:5685 my-device [state-dir]
// (in a project that installed xs-lwm2m from npm the import below is the same).
import { startNodeDevice } from 'xs-lwm2m';
import { sensorObjects } from './sensors.mjs';

const [bootstrapUri = 'coap://127.0.0.1:5685', endpointName = 'node-sensors', stateDir] = process.argv.slice(2);
const { objects, temperature, button } = sensorObjects({
  onLight: (l) => console.log(`light: ${l.on ? 'on' : 'off'}, dimmer ${l.dimmer}`),
  clock: { epochSeconds: () => Date.now() / 1000 },
});
const device = await startNodeDevice({ endpointName, bootstrapUri, stateDir, objects });

// A reading every 5 s (a real device reads its sensor here); Enter presses the button.
let t = 21;
const timer = setInterval(() => {
  t += (Math.random() - 0.5) / 2;
  temperature.set(Math.round(t * 100) / 100);
}, 5000);
temperature.set(t);
process.stdin.on('data', () => {
  button.input(true);
  button.input(false);
  console.log(`button: ${button.count()} presses`);
});
process.on('SIGINT', async () => {
  clearInterval(timer);
  await device.stop();
  process.exit(0);
});
