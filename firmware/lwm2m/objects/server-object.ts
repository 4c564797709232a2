// LwM2M Server Object (1) on the object seam (Core Appendix E.2): its
// instances are the Bootstrap-Server's to create and delete; its executables
// are Registration Update Trigger (/1/x/8), Bootstrap-Request Trigger
// (/1/x/9) and Disable (/1/x/4). What an Execute starts runs once its 2.04 is
// on the wire, so the server learns the outcome before the client acts on it.
import { Code } from '../../coap/message';
import type { Logger, Timers } from '../../platform/ports';
import { OBJ, SRV } from '../engine/ids';
import { bindingProblem, lifetimeProblem } from '../bootstrap/consistency';
import type { ExecuteRequest, ExecuteResult, ObjectHandler, ObjectSpec, WriteOutcome, WriteRequest } from './object-api';
import type { ObjectTree } from './object-tree';
import type { ServerSet } from '../registration/server-set';

/** Disable Timeout (/1/x/5) when the resource is absent: 86400 s (Core Appendix E.2). */
export const DEFAULT_DISABLE_TIMEOUT = 86400;

export interface ServerObjectHost {
  tree(): ObjectTree;
  servers: ServerSet;
  timers: Timers;
  log: Logger;
  hasBootstrapAccount(): boolean;
  bootstrapTrigger(): void;
}

export function serverObject(c: ServerObjectHost): ObjectSpec {
  return { id: OBJ.SERVER, fixedInstances: true, handler: new ServerHandler(c) };
}

// A class: its methods live in flash with the preloaded module (one small instance per client on the device).
class ServerHandler implements ObjectHandler {
  constructor(private readonly c: ServerObjectHost) {}

  /** The rules Bootstrap-Finish applies to the same resources: a value it would refuse is refused here too. */
  write({ instanceId, values }: WriteRequest): WriteOutcome {
    const lifetime = values.get(SRV.LIFETIME);
    const badLifetime = lifetime === undefined || lifetime instanceof Map ? undefined : lifetimeProblem(lifetime);
    if (badLifetime) return { code: Code.BAD_REQUEST, reason: `/1/${instanceId}/1 ${badLifetime}` };
    const binding = values.get(SRV.BINDING);
    const badBinding = binding === undefined || binding instanceof Map ? undefined : bindingProblem(binding);
    if (badBinding) return { code: Code.BAD_REQUEST, reason: `/1/${instanceId}/7 ${badBinding}` };
    return undefined;
  }

  execute({ instanceId, resourceId }: ExecuteRequest): ExecuteResult | number | void {
    const c = this.c;
    switch (resourceId) {
      case SRV.REGISTRATION_UPDATE_TRIGGER: {
        const reg = c.servers.byServerInstance(instanceId);
        if (!reg) return Code.NOT_FOUND;
        return { afterResponse: () => reg.triggerUpdate() };
      }
      case SRV.BOOTSTRAP_REQUEST_TRIGGER:
        if (!c.hasBootstrapAccount()) return Code.METHOD_NOT_ALLOWED;
        return { afterResponse: () => c.bootstrapTrigger() };
      case SRV.DISABLE: {
        const reg = c.servers.byServerInstance(instanceId);
        if (!reg) return Code.NOT_FOUND;
        const timeout = Number(c.tree().value(OBJ.SERVER, instanceId, SRV.DISABLE_TIMEOUT) ?? DEFAULT_DISABLE_TIMEOUT);
        return {
          afterResponse: () => {
            void reg.deregister().then(() => {
              c.log.info(`client: ssid=${reg.ssid} disabled for ${timeout} s`);
              c.timers.setTimeout(() => {
                if (c.servers.all.includes(reg)) reg.start();
              }, timeout * 1000);
            });
          },
        };
      }
      default:
        return Code.METHOD_NOT_ALLOWED;
    }
  }

  /** Without a Bootstrap-Server Account there is nobody to send the Bootstrap-Request to. */
  canExecute(_instanceId: number, resourceId: number): boolean {
    return (
      resourceId === SRV.REGISTRATION_UPDATE_TRIGGER ||
      resourceId === SRV.DISABLE ||
      (resourceId === SRV.BOOTSTRAP_REQUEST_TRIGGER && this.c.hasBootstrapAccount())
    );
  }
}
