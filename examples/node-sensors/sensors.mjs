// The objects of the Node example: what a small device exposes.
//  /3303/0 Temperature   a sensor the application feeds (value, min/max, range, Reset Min and Max)
//  /3311/0 Light Control On/Off and Dimmer; each Write reaches onLight
//  /3347/0 Push button   presses counted
//  /3341   Addressable Text Display: instances a server may Create and Delete (up to 4)
import { outputObject, pushButtonObject, sensorObject } from 'xs-lwm2m';

export function sensorObjects({ onLight = () => {}, clock } = {}) {
  const temperature = sensorObject({ id: 3303, units: 'Cel', range: [-40, 125], clock });
  const light = { on: false, dimmer: 100 };
  const lightControl = outputObject({
    id: 3311,
    initial: { 5850: false, 5851: 100 },
    onWrite: (instanceId, resourceId, value) => {
      if (resourceId === 5850) light.on = value === true;
      if (resourceId === 5851) light.dimmer = Number(value);
      onLight({ ...light });
    },
  });
  const button = pushButtonObject({ clock });
  const display = { id: 3341, maxInstances: 4 };
  return { objects: [temperature.spec, lightControl, button.spec, display], temperature, light, button };
}
