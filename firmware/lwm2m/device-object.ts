// Device Object (3) instance 0: static identity from the platform, live
// values (Current Time) and the executable resources.
import type { Value } from '../model/types';
import type { WallClock } from '../platform/ports';
import { DEV, OBJ } from './ids';
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
  /** Execute /3/0/4; the platform restarts after the 2.04 has gone out. */
  reboot?(): void;
  /** Execute /3/0/5. */
  factoryReset?(): void;
}

/** Seed /3/0 with the static values (called on every start: they are not configuration). */
export function installDevice(tree: ObjectTree, info: DeviceInfo): void {
  const set = (rid: number, v: Value | Map<number, Value> | undefined) => { if (v !== undefined) tree.set(OBJ.DEVICE, 0, rid, v); };
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

/** Live resources of /3/0 computed at read time. */
export class DeviceRuntime {
  /** Seconds added to the wall clock after a server wrote Current Time. */
  private offset = 0;
  constructor(private readonly clock: WallClock, readonly info: DeviceInfo) {}

  read(rid: number): Value | undefined {
    if (rid === DEV.CURRENT_TIME) return Math.floor(this.clock.epochSeconds() + this.offset);
    if (rid === DEV.MEMORY_FREE && this.info.memoryFreeKiB) return this.info.memoryFreeKiB();
    return undefined;
  }

  /** Writing Current Time sets the clock offset rather than a stored value. */
  write(rid: number, v: Value): boolean {
    if (rid === DEV.CURRENT_TIME && typeof v === 'number') {
      this.offset = v - this.clock.epochSeconds();
      return true;
    }
    return false;
  }
}
