// LwM2M Server Accounts: a Security instance (not a Bootstrap-Server) and a
// Server instance paired by Short Server ID (Core §5.2.1).
import type { ObjectTree } from '../objects/object-tree';
import { asNumber } from '../objects/object-tree';
import { OBJ, REGISTRATION_DEFAULTS, SEC, SECURITY_MODE, SRV } from '../engine/ids';
import { parseServerUri, type ServerUri } from './server-uri';
import { utf8Encode } from '../../util/utf8';

export interface RetryPolicy {
  communicationRetryCount: number;
  communicationRetryTimer: number; // seconds
  communicationSequenceDelayTimer: number; // seconds
  communicationSequenceRetryCount: number;
}

export interface ServerAccount {
  ssid: number;
  securityInstance: number;
  serverInstance: number;
  uri: ServerUri;
  lifetime: number; // seconds
  binding: string;
  retry: RetryPolicy;
  bootstrapOnRegistrationFailure: boolean;
  initialRegistrationDelay: number; // seconds
  /** /1/x/13: lower registers first; undefined = no place in the order (registers at once). */
  registrationPriorityOrder?: number;
  /** /1/x/15: a failed registration to this server blocks the ones after it in the order. */
  registrationFailureBlock: boolean;
}

export interface BootstrapAccount {
  securityInstance: number;
  uri: ServerUri;
  clientHoldOffTime: number; // seconds
  accountTimeout: number; // seconds, 0 = never purged
}

export function serverAccounts(tree: ObjectTree): ServerAccount[] {
  const out: ServerAccount[] = [];
  for (const sec of tree.instanceIds(OBJ.SECURITY)) {
    if (tree.value(OBJ.SECURITY, sec, SEC.BOOTSTRAP_SERVER) === true) continue;
    const ssid = asNumber(tree.value(OBJ.SECURITY, sec, SEC.SHORT_SERVER_ID));
    const uriText = tree.value(OBJ.SECURITY, sec, SEC.URI);
    if (ssid === undefined || typeof uriText !== 'string') continue;
    const uri = parseServerUri(uriText);
    if (!uri) continue;
    const srv = tree.instanceIds(OBJ.SERVER).find((i) => asNumber(tree.value(OBJ.SERVER, i, SRV.SHORT_SERVER_ID)) === ssid);
    if (srv === undefined) continue;
    const num = (rid: number, dflt: number) => {
      const v = asNumber(tree.value(OBJ.SERVER, srv, rid));
      return v !== undefined && v >= 0 ? v : dflt;
    };
    const bof = tree.value(OBJ.SERVER, srv, SRV.BOOTSTRAP_ON_REGISTRATION_FAILURE);
    const binding = tree.value(OBJ.SERVER, srv, SRV.BINDING);
    out.push({
      ssid,
      securityInstance: sec,
      serverInstance: srv,
      uri,
      lifetime: num(SRV.LIFETIME, 86400) || 86400,
      binding: typeof binding === 'string' ? binding : 'U',
      retry: {
        communicationRetryCount: Math.max(1, num(SRV.COMMUNICATION_RETRY_COUNT, REGISTRATION_DEFAULTS.communicationRetryCount)),
        communicationRetryTimer: num(SRV.COMMUNICATION_RETRY_TIMER, REGISTRATION_DEFAULTS.communicationRetryTimer),
        communicationSequenceDelayTimer: num(SRV.COMMUNICATION_SEQUENCE_DELAY_TIMER, REGISTRATION_DEFAULTS.communicationSequenceDelayTimer),
        communicationSequenceRetryCount: Math.max(
          1,
          num(SRV.COMMUNICATION_SEQUENCE_RETRY_COUNT, REGISTRATION_DEFAULTS.communicationSequenceRetryCount),
        ),
      },
      bootstrapOnRegistrationFailure: typeof bof === 'boolean' ? bof : REGISTRATION_DEFAULTS.bootstrapOnRegistrationFailure,
      initialRegistrationDelay: num(SRV.INITIAL_REGISTRATION_DELAY, 0),
      registrationPriorityOrder: num(SRV.REGISTRATION_PRIORITY_ORDER, -1) >= 0 ? num(SRV.REGISTRATION_PRIORITY_ORDER, 0) : undefined,
      registrationFailureBlock: tree.value(OBJ.SERVER, srv, SRV.REGISTRATION_FAILURE_BLOCK) === true,
    });
  }
  return out.sort((a, b) => a.ssid - b.ssid);
}

/** The Bootstrap-Server Account, when there is one with a usable URI. */
export function bootstrapAccount(tree: ObjectTree): BootstrapAccount | undefined {
  const sec = bootstrapSecurityInstance(tree);
  if (sec === undefined) return undefined;
  const uriText = tree.value(OBJ.SECURITY, sec, SEC.URI);
  const uri = typeof uriText === 'string' ? parseServerUri(uriText) : undefined;
  if (!uri) return undefined;
  return {
    securityInstance: sec,
    uri,
    clientHoldOffTime: asNumber(tree.value(OBJ.SECURITY, sec, SEC.CLIENT_HOLD_OFF_TIME)) ?? 0,
    accountTimeout: asNumber(tree.value(OBJ.SECURITY, sec, SEC.BOOTSTRAP_SERVER_ACCOUNT_TIMEOUT)) ?? 0,
  };
}

/** The Security instance marked Bootstrap-Server (/0/x/1 true), whatever its URI. */
export function bootstrapSecurityInstance(tree: ObjectTree): number | undefined {
  for (const sec of tree.instanceIds(OBJ.SECURITY)) {
    if (tree.value(OBJ.SECURITY, sec, SEC.BOOTSTRAP_SERVER) === true) return sec;
  }
  return undefined;
}

/**
 * How to secure the connection of a Security instance (Core §E.1, Transport
 * §5.2): 'nosec' for coap://, the PSK credentials (/0/x/3 identity, /0/x/5
 * key) for a coaps:// account in PSK mode, or why it cannot be used. The key
 * is handed to the DTLS layer only; callers never log it.
 */
export type AccountSecurity =
  { kind: 'nosec' } | { kind: 'psk'; identity: Uint8Array; key: Uint8Array } | { kind: 'unusable'; reason: string };

export function accountSecurity(tree: ObjectTree, securityInstance: number): AccountSecurity {
  const uriText = tree.value(OBJ.SECURITY, securityInstance, SEC.URI);
  const uri = typeof uriText === 'string' ? parseServerUri(uriText) : undefined;
  const mode = asNumber(tree.value(OBJ.SECURITY, securityInstance, SEC.SECURITY_MODE));
  if (!uri?.secure)
    return mode === undefined || mode === SECURITY_MODE.NOSEC
      ? { kind: 'nosec' }
      : { kind: 'unusable', reason: `security mode ${mode} with a coap:// URI` };
  if (mode !== SECURITY_MODE.PSK)
    return { kind: 'unusable', reason: `security mode ${mode ?? '(none)'} is not supported over coaps (PSK only)` };
  const identity = tree.value(OBJ.SECURITY, securityInstance, SEC.PUBLIC_KEY_OR_ID);
  const key = tree.value(OBJ.SECURITY, securityInstance, SEC.SECRET_KEY);
  const bytes = (v: unknown) => (v instanceof Uint8Array ? v : typeof v === 'string' ? utf8Encode(v) : undefined);
  const id = bytes(identity),
    k = bytes(key);
  if (!id || id.length === 0 || !k || k.length === 0) return { kind: 'unusable', reason: 'PSK identity or key missing' };
  return { kind: 'psk', identity: id, key: k };
}
