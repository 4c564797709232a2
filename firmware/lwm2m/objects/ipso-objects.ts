// Ready handlers for the IPSO Smart Objects where one generic handler fits
// (IPSO Smart Objects Guideline; definitions in model/objects.generated.ts):
//  - a sensor fed by the application (Temperature 3303, Humidity 3304,
//    Illuminance 3301, Barometer 3315, Generic Sensor 3300, Analog Input
//    3202 …): Sensor Value, Min/Max Measured Value, Min/Max Range, Units,
//    Timestamp, and Reset Min and Max Measured Values (5605);
//  - an output whose Writes reach an application callback (Light Control
//    3311, Digital Output 3201, Power Control 3312, Analog Output 3203 …);
//  - a push button / digital input counting presses (Push button 3347,
//    Digital Input 3200, with its Counter Reset 5505).
// Each returns the ObjectSpec to put in ClientOptions.objects and the calls
// the application makes; a value it sets notifies the observations of it.
import { Code } from '../../coap/message';
import { getObjectDef } from '../../model/objects';
import type { ObjectDef, Value } from '../../model/types';
import type { WallClock } from '../../platform/ports';
import type {
  ExecuteRequest,
  ExecuteResult,
  ObjectHandler,
  ObjectSpec,
  ReadRequest,
  ReadValue,
  WriteOutcome,
  WriteRequest,
} from './object-api';
import type { ResourceValue } from './object-tree';

/** IPSO resource ids these handlers serve. */
export const IPSO = Object.freeze({
  DIGITAL_INPUT_STATE: 5500,
  DIGITAL_INPUT_COUNTER: 5501,
  DIGITAL_INPUT_COUNTER_RESET: 5505,
  TIMESTAMP: 5518,
  ANALOG_INPUT_VALUE: 5600,
  MIN_MEASURED: 5601,
  MAX_MEASURED: 5602,
  MIN_RANGE: 5603,
  MAX_RANGE: 5604,
  RESET_MIN_MAX: 5605,
  SENSOR_VALUE: 5700,
  SENSOR_UNITS: 5701,
  APPLICATION_TYPE: 5750,
} as const);

export interface SensorOptions {
  /** The object id: 3303 Temperature, 3304 Humidity, 3301 Illuminance, 3315 Barometer, 3300, 3202 … */
  id: number;
  /** Instance ids (default [0]). */
  instances?: number[];
  /** Sensor Units (5701), e.g. "Cel". */
  units?: string;
  /** Min and Max Range Value (5603, 5604): what the sensor can measure. */
  range?: [number, number];
  /** Timestamp (5518) of each value, when the object has one. */
  clock?: WallClock;
}

export interface Sensor {
  readonly spec: ObjectSpec;
  /** A new reading: Sensor Value, Min/Max Measured and Timestamp follow; observers are notified. */
  set(value: number, instanceId?: number): void;
  value(instanceId?: number): number | undefined;
}

interface Reading {
  value?: number;
  min?: number;
  max?: number;
  at?: number;
}

export function sensorObject(o: SensorOptions): Sensor {
  return new SensorObject(o);
}

// Classes, not objects of closures, here and below: the methods are preloaded into flash with the module,
// so on the device an object costs one small instance and its state.
class SensorObject implements Sensor, ObjectHandler {
  readonly spec: ObjectSpec;
  private readonly def: ObjectDef;
  /** Analog Input carries its value in 5600; the IPSO sensors in 5700. */
  private readonly valueId: number;
  private readonly readings: Map<number, Reading>;
  private changed: ((iid: number, rid: number) => void) | undefined;

  constructor(private readonly o: SensorOptions) {
    const def = getObjectDef(o.id);
    if (!def) throw new Error(`no built-in definition of /${o.id}`);
    this.def = def;
    this.valueId = def.resources.has(IPSO.SENSOR_VALUE) ? IPSO.SENSOR_VALUE : IPSO.ANALOG_INPUT_VALUE;
    const ids = o.instances ?? [0];
    this.readings = new Map(ids.map((i) => [i, {}]));
    this.spec = { id: o.id, instances: ids, maxInstances: ids.length, handler: this };
  }

  attach(changed: (iid: number, rid: number) => void): void {
    this.changed = changed;
  }

  read({ instanceId, resourceId }: ReadRequest): ReadValue {
    const r = this.readings.get(instanceId);
    if (!r) return undefined;
    switch (resourceId) {
      case this.valueId:
        return r.value;
      case IPSO.MIN_MEASURED:
        return r.min;
      case IPSO.MAX_MEASURED:
        return r.max;
      case IPSO.MIN_RANGE:
        return this.o.range?.[0];
      case IPSO.MAX_RANGE:
        return this.o.range?.[1];
      case IPSO.SENSOR_UNITS:
        return this.o.units;
      case IPSO.TIMESTAMP:
        return r.at;
      default:
        return undefined;
    }
  }

  execute({ instanceId, resourceId }: ExecuteRequest): ExecuteResult | number | void {
    const r = this.readings.get(instanceId);
    if (!r || resourceId !== IPSO.RESET_MIN_MAX) return Code.METHOD_NOT_ALLOWED;
    r.min = r.value;
    r.max = r.value;
    this.notify(instanceId, IPSO.MIN_MEASURED, IPSO.MAX_MEASURED);
    return undefined;
  }

  canExecute(instanceId: number, resourceId: number): boolean {
    return this.readings.has(instanceId) && resourceId === IPSO.RESET_MIN_MAX;
  }

  set(value: number, instanceId = this.firstInstance()): void {
    const r = this.readings.get(instanceId);
    if (!r) throw new RangeError(`/${this.o.id}/${instanceId} is not an instance of this sensor`);
    r.value = value;
    const moved: number[] = [this.valueId];
    if (r.min === undefined || value < r.min) {
      r.min = value;
      moved.push(IPSO.MIN_MEASURED);
    }
    if (r.max === undefined || value > r.max) {
      r.max = value;
      moved.push(IPSO.MAX_MEASURED);
    }
    if (this.o.clock && this.def.resources.has(IPSO.TIMESTAMP)) {
      r.at = Math.floor(this.o.clock.epochSeconds());
      moved.push(IPSO.TIMESTAMP);
    }
    this.notify(instanceId, ...moved);
  }

  value(instanceId = this.firstInstance()): number | undefined {
    return this.readings.get(instanceId)?.value;
  }

  private firstInstance(): number {
    return this.readings.keys().next().value ?? 0;
  }

  private notify(instanceId: number, ...rids: number[]): void {
    for (const r of rids) if (this.def.resources.has(r)) this.changed?.(instanceId, r);
  }
}

export interface OutputOptions {
  /** 3311 Light Control, 3201 Digital Output, 3312 Power Control, 3203 Analog Output, 3342 On/Off switch … */
  id: number;
  instances?: number[];
  /** Initial values per resource (every instance), e.g. { 5850: false, 5851: 0 }. */
  initial?: Readonly<Record<number, Value>>;
  /** Each value a server wrote, after it passed the definition's checks; throw to answer 5.00. */
  onWrite(instanceId: number, resourceId: number, value: ResourceValue): void;
}

/** An output: the values live in the client's tree (Read shows what was written); each Write reaches `onWrite`. */
export function outputObject(o: OutputOptions): ObjectSpec {
  if (!getObjectDef(o.id)) throw new Error(`no built-in definition of /${o.id}`);
  const ids = o.instances ?? [0];
  return {
    id: o.id,
    instances: ids.map((id) => ({ id, values: o.initial })),
    maxInstances: ids.length,
    handler: new OutputHandler(o.onWrite),
  };
}

class OutputHandler implements ObjectHandler {
  constructor(private readonly onWrite: OutputOptions['onWrite']) {}

  write({ instanceId, values }: WriteRequest): WriteOutcome {
    for (const [rid, v] of values) this.onWrite(instanceId, rid, v);
  }
}

export interface PushButtonOptions {
  /** 3347 Push button (default) or 3200 Digital Input. */
  id?: number;
  instances?: number[];
  clock?: WallClock;
}

export interface PushButton {
  readonly spec: ObjectSpec;
  /** The input's state changed (pressed: true); a press counts once. */
  input(pressed: boolean, instanceId?: number): void;
  count(instanceId?: number): number;
}

export function pushButtonObject(o: PushButtonOptions = {}): PushButton {
  return new PushButtonObject(o);
}

interface ButtonState {
  pressed: boolean;
  count: number;
  at: number | undefined;
}

class PushButtonObject implements PushButton, ObjectHandler {
  readonly spec: ObjectSpec;
  private readonly def: ObjectDef;
  private readonly state: Map<number, ButtonState>;
  private changed: ((iid: number, rid: number) => void) | undefined;

  constructor(private readonly o: PushButtonOptions) {
    const id = o.id ?? 3347;
    const def = getObjectDef(id);
    if (!def) throw new Error(`no built-in definition of /${id}`);
    this.def = def;
    const ids = o.instances ?? [0];
    this.state = new Map(ids.map((i) => [i, { pressed: false, count: 0, at: undefined }]));
    this.spec = { id, instances: ids, maxInstances: ids.length, handler: this };
  }

  attach(changed: (iid: number, rid: number) => void): void {
    this.changed = changed;
  }

  read({ instanceId, resourceId }: ReadRequest): ReadValue {
    const s = this.state.get(instanceId);
    if (!s) return undefined;
    if (resourceId === IPSO.DIGITAL_INPUT_STATE) return s.pressed;
    if (resourceId === IPSO.DIGITAL_INPUT_COUNTER) return s.count;
    if (resourceId === IPSO.TIMESTAMP) return s.at;
    return undefined;
  }

  execute({ instanceId, resourceId }: ExecuteRequest): ExecuteResult | number | void {
    const s = this.state.get(instanceId);
    if (!s || resourceId !== IPSO.DIGITAL_INPUT_COUNTER_RESET) return Code.METHOD_NOT_ALLOWED;
    s.count = 0;
    this.notify(instanceId, IPSO.DIGITAL_INPUT_COUNTER);
    return undefined;
  }

  canExecute(instanceId: number, resourceId: number): boolean {
    return this.state.has(instanceId) && resourceId === IPSO.DIGITAL_INPUT_COUNTER_RESET;
  }

  input(pressed: boolean, instanceId = this.firstInstance()): void {
    const s = this.state.get(instanceId);
    if (!s) throw new RangeError(`/${this.spec.id}/${instanceId} is not an instance of this button`);
    if (s.pressed === pressed) return;
    s.pressed = pressed;
    const moved: number[] = [IPSO.DIGITAL_INPUT_STATE];
    if (pressed) {
      s.count++;
      moved.push(IPSO.DIGITAL_INPUT_COUNTER);
    }
    if (this.o.clock) {
      s.at = Math.floor(this.o.clock.epochSeconds());
      moved.push(IPSO.TIMESTAMP);
    }
    this.notify(instanceId, ...moved);
  }

  count(instanceId = this.firstInstance()): number {
    return this.state.get(instanceId)?.count ?? 0;
  }

  private firstInstance(): number {
    return this.state.keys().next().value ?? 0;
  }

  private notify(instanceId: number, ...rids: number[]): void {
    for (const r of rids) if (this.def.resources.has(r)) this.changed?.(instanceId, r);
  }
}
