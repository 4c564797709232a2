// Device Object (3) instance 0 (Core Appendix E.4) on the object seam:
// static identity from the platform, live values (Current Time, Memory
// Free), a written Current Time that moves the clock, and the executables
// Reboot (/3/0/4), Factory Reset (/3/0/5) and Reset Error Code (/3/0/12).
import { Code } from '../../coap/message';
import type { Path, Value } from '../../model/types';
import type { WallClock } from '../../platform/ports';
import { DEV, OBJ } from '../engine/ids';
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
import type { ObjectTree } from './object-tree';

export interface DeviceInfo {
  manufacturer?: string;
  modelNumber?: string;
  serialNumber?: string;
  firmwareVersion?: string;
  hardwareVersion?: string;
  softwareVersion?: string;
  deviceType?: string;
  /** Available Power Sources (/3/0/6): 1 internal battery, 5 USB … */
  powerSources?: number[];
  memoryTotalKiB?: number;
  memoryFreeKiB?(): number;
  /**
   * The platform's restart (ESP32: esp_restart; the Linux runtime: exit with
   * the restart status). Called once the 2.04 of Reboot or Factory Reset is on
   * the wire and, for Factory Reset, the stored configuration is erased.
   * Without it the client restarts itself: it goes quiet as a reset would and starts again.
   */
  reboot?(): void;
}

/** Seed /3/0 with the static values (called on every start: they are not configuration). */
export function installDevice(tree: ObjectTree, info: DeviceInfo): void {
  const set = (rid: number, v: Value | Map<number, Value> | undefined) => {
    if (v !== undefined) tree.set(OBJ.DEVICE, 0, rid, v);
  };
  tree.ensureInstance(OBJ.DEVICE, 0);
  set(DEV.MANUFACTURER, info.manufacturer ?? 'xs-lwm2m');
  set(DEV.MODEL_NUMBER, info.modelNumber ?? 'generic');
  set(DEV.SERIAL_NUMBER, info.serialNumber ?? '0');
  set(DEV.FIRMWARE_VERSION, info.firmwareVersion ?? '0.0.0');
  set(DEV.HARDWARE_VERSION, info.hardwareVersion);
  set(DEV.SOFTWARE_VERSION, info.softwareVersion);
  set(DEV.DEVICE_TYPE, info.deviceType);
  if (info.powerSources) set(DEV.AVAILABLE_POWER_SOURCES, new Map(info.powerSources.map((p, i) => [i, p])));
  if (info.memoryTotalKiB !== undefined) set(DEV.MEMORY_TOTAL, info.memoryTotalKiB);
  if (!(tree.get(OBJ.DEVICE, 0, DEV.ERROR_CODE) instanceof Map)) set(DEV.ERROR_CODE, new Map([[0, 0]]));
  set(DEV.SUPPORTED_BINDING, 'U');
  if (tree.value(OBJ.DEVICE, 0, DEV.UTC_OFFSET) === undefined) set(DEV.UTC_OFFSET, '+00:00');
  if (tree.value(OBJ.DEVICE, 0, DEV.TIMEZONE) === undefined) set(DEV.TIMEZONE, 'Etc/UTC');
}

/** ISO 8601 UTC offsets as the Device object shows them: +02:00, -0530, +02, Z. */
const UTC_OFFSET = /^(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)$/;

export interface DeviceHost {
  tree(): ObjectTree;
  clock: WallClock;
  info: DeviceInfo;
  /** Observations of `path` re-evaluate. */
  changed(path: Path): void;
  /** Restart the device, keeping its configuration (after the 2.04 is out). */
  reboot(): void;
  /** Return to the factory configuration and restart (after the 2.04 is out). */
  factoryReset(): void;
}

/** The Device object: instance 0 only, its instances not the servers' to create or delete. */
export function deviceObject(host: DeviceHost): ObjectSpec {
  return { id: OBJ.DEVICE, fixedInstances: true, handler: new DeviceHandler(host) };
}

// A class, not an object of closures: its methods are preloaded into flash with the module, so on the device
// each client pays for one small instance instead of a closure per method.
/** The Device resources read() produces. */
const LIVE: readonly number[] = Object.freeze([DEV.CURRENT_TIME, DEV.MEMORY_FREE]);

class DeviceHandler implements ObjectHandler {
  /** Seconds added to the wall clock after a server wrote Current Time. */
  private offset = 0;

  constructor(private readonly host: DeviceHost) {}

  /** Current Time and Memory Free are live; the rest is stored (installDevice). A getter: on the prototype, in flash. */
  get liveResources(): readonly number[] {
    return LIVE;
  }

  read({ instanceId, resourceId }: ReadRequest): ReadValue {
    if (instanceId !== 0) return undefined;
    if (resourceId === DEV.CURRENT_TIME) return Math.floor(this.host.clock.epochSeconds() + this.offset);
    const info = this.host.info;
    if (resourceId === DEV.MEMORY_FREE && info.memoryFreeKiB) return info.memoryFreeKiB();
    return undefined;
  }

  write({ values }: WriteRequest): WriteOutcome {
    const utc = values.get(DEV.UTC_OFFSET);
    if (utc !== undefined && !(typeof utc === 'string' && UTC_OFFSET.test(utc))) {
      return { code: Code.BAD_REQUEST, reason: '/3/0/14 UTC Offset must be ±hh[:mm] or Z (ISO 8601)' };
    }
    // Writing Current Time sets the clock's offset rather than a stored value.
    const t = values.get(DEV.CURRENT_TIME);
    if (typeof t !== 'number') return undefined;
    this.offset = t - this.host.clock.epochSeconds();
    this.host.changed({ objectId: OBJ.DEVICE, instanceId: 0, resourceId: DEV.CURRENT_TIME });
    return { consumed: [DEV.CURRENT_TIME] };
  }

  execute({ resourceId }: ExecuteRequest): ExecuteResult | number | void {
    const host = this.host;
    switch (resourceId) {
      case DEV.REBOOT:
        return { afterResponse: () => host.reboot() };
      case DEV.FACTORY_RESET:
        return { afterResponse: () => host.factoryReset() };
      case DEV.RESET_ERROR_CODE:
        host.tree().set(OBJ.DEVICE, 0, DEV.ERROR_CODE, new Map([[0, 0]]));
        host.changed({ objectId: OBJ.DEVICE, instanceId: 0, resourceId: DEV.ERROR_CODE });
        return undefined;
      default:
        return Code.METHOD_NOT_ALLOWED;
    }
  }

  /** Current Time moves with the clock, with no change notice. */
  volatile(instanceId: number, resourceId: number | undefined): boolean {
    return instanceId === 0 && (resourceId === undefined || resourceId === DEV.CURRENT_TIME);
  }

  canExecute(instanceId: number, resourceId: number): boolean {
    return instanceId === 0 && (resourceId === DEV.REBOOT || resourceId === DEV.FACTORY_RESET || resourceId === DEV.RESET_ERROR_CODE);
  }
}
