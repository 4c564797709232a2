// Firmware Update Object (5) on the object seam (Core Appendix E.6): a Write
// of Package or Package URI starts (or, empty, cancels) a download and is
// not stored as a value; a Package written with Block1 goes to the image
// slot block by block; Update (/5/0/2) and Cancel (/5/0/10) are its
// executables. The state machine itself is FirmwareUpdate's.
import { Code } from '../../coap/message';
import { OBJ } from '../engine/ids';
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import type { ExecuteRequest, ExecuteResult, ObjectHandler, ObjectSpec, WriteOutcome, WriteRequest } from '../objects/object-api';
import { FW, type FirmwareUpdate } from './update';

export function firmwareObject(fw: FirmwareUpdate): ObjectSpec {
  return { id: OBJ.FIRMWARE, fixedInstances: true, handler: new FirmwareHandler(fw) };
}

// A class: its methods live in flash with the preloaded module (one small instance per client on the device).
class FirmwareHandler implements ObjectHandler {
  constructor(private readonly fw: FirmwareUpdate) {}

  write({ instanceId, values, ssid }: WriteRequest): WriteOutcome {
    if (instanceId !== 0) return undefined;
    const consumed: number[] = [];
    for (const rid of [FW.PACKAGE, FW.PACKAGE_URI]) {
      const v = values.get(rid);
      if (v === undefined || v instanceof Map) continue;
      // Errors of a download are reported by Update Result (E.6.1); a code here is a refusal of the Write itself.
      const f = this.fw.write(rid, v, ssid);
      if (f?.code !== undefined) return { code: f.code, reason: f.reason };
      consumed.push(rid);
    }
    return consumed.length > 0 ? { consumed } : undefined;
  }

  execute({ instanceId, resourceId }: ExecuteRequest): ExecuteResult | number | void {
    if (instanceId !== 0) return Code.NOT_FOUND;
    if (resourceId === FW.UPDATE) return this.fw.update();
    if (resourceId === FW.CANCEL) return this.fw.cancel();
    return Code.METHOD_NOT_ALLOWED;
  }

  canExecute(instanceId: number, resourceId: number): boolean {
    return instanceId === 0 && (resourceId === FW.UPDATE || resourceId === FW.CANCEL);
  }
  streams(instanceId: number, resourceId: number): boolean {
    return instanceId === 0 && resourceId === FW.PACKAGE;
  }
  writeBlock(req: IncomingRequest): ResponseSpec {
    return this.fw.packageBlock(req);
  }
}
