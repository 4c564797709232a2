// The Security (/0) and Server (/1) resources that make up an account (Core
// §5.2.1, Appendix E.1/E.2), from a plain description. The client's factory
// configuration and the host Bootstrap-Server write the same records.
import type { ResourceRecord } from '../../formats/index';
import type { Value } from '../../model/types';
import { OBJ, SEC, SECURITY_MODE, SRV } from '../engine/ids';

/** Pre-Shared Key credentials (Security Mode 0): /0/x/3 identity, /0/x/5 key. */
export interface PskSpec {
  identity: Uint8Array;
  key: Uint8Array;
}

export interface BootstrapAccountSpec {
  uri: string;
  /** For a coaps:// Bootstrap-Server; NoSec without them. */
  psk?: PskSpec;
  /** /0/x/11, seconds. */
  clientHoldOffTime?: number;
  /** /0/x/12, seconds. */
  accountTimeout?: number;
}

export interface ServerAccountSpec {
  uri: string;
  ssid: number;
  /** /1/x/1, seconds (default 86400). */
  lifetime?: number;
  /** /1/x/7 (default 'U'). */
  binding?: string;
  /** For a coaps:// server; NoSec without them. */
  psk?: PskSpec;
  defaultMinPeriod?: number;
  defaultMaxPeriod?: number;
  bootstrapOnRegistrationFailure?: boolean;
  communicationRetryCount?: number;
  communicationRetryTimer?: number;
  communicationSequenceDelayTimer?: number;
  communicationSequenceRetryCount?: number;
}

const NONE = new Uint8Array(0);

export function bootstrapAccountRecords(securityInstance: number, a: BootstrapAccountSpec): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const put = resourcePutter(out, OBJ.SECURITY, securityInstance);
  put(SEC.URI, a.uri);
  put(SEC.BOOTSTRAP_SERVER, true);
  put(SEC.SECURITY_MODE, a.psk ? SECURITY_MODE.PSK : SECURITY_MODE.NOSEC);
  put(SEC.PUBLIC_KEY_OR_ID, a.psk ? a.psk.identity : NONE);
  put(SEC.SERVER_PUBLIC_KEY, NONE);
  put(SEC.SECRET_KEY, a.psk ? a.psk.key : NONE);
  put(SEC.CLIENT_HOLD_OFF_TIME, a.clientHoldOffTime);
  put(SEC.BOOTSTRAP_SERVER_ACCOUNT_TIMEOUT, a.accountTimeout);
  return out;
}

/** The Security instance and the Server instance of one LwM2M Server Account, paired by Short Server ID. */
export function serverAccountRecords(
  securityInstance: number,
  serverInstance: number,
  s: ServerAccountSpec,
): { security: ResourceRecord[]; server: ResourceRecord[] } {
  const security: ResourceRecord[] = [];
  const server: ResourceRecord[] = [];
  const sec = resourcePutter(security, OBJ.SECURITY, securityInstance);
  sec(SEC.URI, s.uri);
  sec(SEC.BOOTSTRAP_SERVER, false);
  sec(SEC.SECURITY_MODE, s.psk ? SECURITY_MODE.PSK : SECURITY_MODE.NOSEC);
  sec(SEC.PUBLIC_KEY_OR_ID, s.psk ? s.psk.identity : NONE);
  sec(SEC.SERVER_PUBLIC_KEY, NONE);
  sec(SEC.SECRET_KEY, s.psk ? s.psk.key : NONE);
  sec(SEC.SHORT_SERVER_ID, s.ssid);
  const srv = resourcePutter(server, OBJ.SERVER, serverInstance);
  srv(SRV.SHORT_SERVER_ID, s.ssid);
  srv(SRV.LIFETIME, s.lifetime ?? 86400);
  srv(SRV.DEFAULT_MIN_PERIOD, s.defaultMinPeriod);
  srv(SRV.DEFAULT_MAX_PERIOD, s.defaultMaxPeriod);
  srv(SRV.NOTIFICATION_STORING, false);
  srv(SRV.BINDING, s.binding ?? 'U');
  srv(SRV.BOOTSTRAP_ON_REGISTRATION_FAILURE, s.bootstrapOnRegistrationFailure);
  srv(SRV.COMMUNICATION_RETRY_COUNT, s.communicationRetryCount);
  srv(SRV.COMMUNICATION_RETRY_TIMER, s.communicationRetryTimer);
  srv(SRV.COMMUNICATION_SEQUENCE_DELAY_TIMER, s.communicationSequenceDelayTimer);
  srv(SRV.COMMUNICATION_SEQUENCE_RETRY_COUNT, s.communicationSequenceRetryCount);
  return { security, server };
}

// Optional resources left undefined are not written.
function resourcePutter(
  out: ResourceRecord[],
  objectId: number,
  instanceId: number,
): (resourceId: number, value: Value | undefined) => void {
  return (resourceId, value) => {
    if (value !== undefined) out.push({ path: { objectId, instanceId, resourceId }, value });
  };
}
