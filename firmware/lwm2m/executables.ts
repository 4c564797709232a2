// The executable resources the client itself serves (Core Appendix E): the
// Server object's Registration Update Trigger (/1/x/8), Bootstrap-Request
// Trigger (/1/x/9) and Disable (/1/x/4), and the Device object's Reboot
// (/3/0/4), Factory Reset (/3/0/5) and Reset Error Code (/3/0/12). What an
// Execute starts runs once its 2.04 is on the wire (ExecuteResult.afterResponse),
// so the server learns the outcome before the client acts on it.
import { Code } from '../coap/message';
import type { Logger, Timers } from '../platform/ports';
import type { DeviceInfo } from './device-object';
import type { ExecuteContext, ExecuteHandler, ExecuteResult } from './device-management';
import { DEV, OBJ, SRV } from './ids';
import type { ObjectTree } from './object-tree';
import type { ServerSet } from './server-set';

/** Disable Timeout (/1/x/5) when the resource is absent: 86400 s (Core Appendix E.2). */
export const DEFAULT_DISABLE_TIMEOUT = 86400;

export interface ExecutablesContext {
  tree(): ObjectTree;
  servers: ServerSet;
  device: DeviceInfo | undefined;
  timers: Timers;
  log: Logger;
  hasBootstrapAccount(): boolean;
  bootstrapTrigger(): void;
}

/** The resources, as `${objectId}/${resourceId}` keys of the Device Management executables. */
const OWN = Object.freeze([
  `${OBJ.SERVER}/${SRV.REGISTRATION_UPDATE_TRIGGER}`, `${OBJ.SERVER}/${SRV.BOOTSTRAP_REQUEST_TRIGGER}`, `${OBJ.SERVER}/${SRV.DISABLE}`,
  `${OBJ.DEVICE}/${DEV.REBOOT}`, `${OBJ.DEVICE}/${DEV.FACTORY_RESET}`, `${OBJ.DEVICE}/${DEV.RESET_ERROR_CODE}`,
]);

/** The client's executables: one handler (one function) for all of them. */
export function clientExecutables(c: ExecutablesContext): Map<string, ExecuteHandler> {
  const run: ExecuteHandler = (ctx) => execute(c, ctx);
  return new Map(OWN.map((key) => [key, run]));
}

function execute(c: ExecutablesContext, { path }: ExecuteContext): ExecuteResult | number | void {
  switch (`${path.objectId}/${path.resourceId}`) {
    case `${OBJ.SERVER}/${SRV.REGISTRATION_UPDATE_TRIGGER}`: {
      const reg = c.servers.byServerInstance(path.instanceId);
      if (!reg) return Code.NOT_FOUND;
      return { afterResponse: () => reg.triggerUpdate() };
    }
    case `${OBJ.SERVER}/${SRV.BOOTSTRAP_REQUEST_TRIGGER}`:
      if (!c.hasBootstrapAccount()) return Code.METHOD_NOT_ALLOWED;
      return { afterResponse: () => c.bootstrapTrigger() };
    case `${OBJ.SERVER}/${SRV.DISABLE}`: {
      const reg = c.servers.byServerInstance(path.instanceId);
      if (!reg) return Code.NOT_FOUND;
      const timeout = Number(c.tree().value(OBJ.SERVER, path.instanceId!, SRV.DISABLE_TIMEOUT) ?? DEFAULT_DISABLE_TIMEOUT);
      return {
        afterResponse: () => {
          void reg.deregister().then(() => {
            c.log.info(`client: ssid=${reg.ssid} disabled for ${timeout} s`);
            c.timers.setTimeout(() => { if (c.servers.all.includes(reg)) reg.start(); }, timeout * 1000);
          });
        },
      };
    }
    case `${OBJ.DEVICE}/${DEV.REBOOT}`: {
      const reboot = c.device?.reboot;
      return reboot ? { afterResponse: reboot } : Code.METHOD_NOT_ALLOWED;
    }
    case `${OBJ.DEVICE}/${DEV.FACTORY_RESET}`: {
      const reset = c.device?.factoryReset;
      return reset ? { afterResponse: reset } : Code.METHOD_NOT_ALLOWED;
    }
    case `${OBJ.DEVICE}/${DEV.RESET_ERROR_CODE}`:
      c.tree().set(OBJ.DEVICE, 0, DEV.ERROR_CODE, new Map([[0, 0]]));
      return undefined;
    default:
      return Code.METHOD_NOT_ALLOWED;
  }
}
