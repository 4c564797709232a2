// What the client hands to the retained memory when the radio goes off, and
// takes back after a deep sleep (Core 1.1 §6.5: a queue-mode client that
// wakes keeps its registrations): each server's Registration, the
// observations, the DTLS sessions of those servers and the CoAP counters.
// Only a client registered with every server keeps anything; otherwise the
// next boot registers again.
import type { Peer } from '../../coap/api';
import type { CoapEndpoint } from '../../coap/endpoint';
import type { DtlsMux } from '../../dtls/mux';
import type { Logger } from '../../platform/ports';
import type { ServerAccount } from '../registration/accounts';
import type { ObjectTree } from '../objects/object-tree';
import type { QueueLink } from './queue-link';
import type { InformationReporting } from '../reporting/reporting';
import type { ServerSet } from '../registration/server-set';
import type { Resumption, SleepKeeper } from './sleep-keeper';
import { configFingerprint, type KeptPeer } from './sleep-state';

/** The parts of the client a deep sleep keeps. */
export interface SleepingParts {
  keeper: SleepKeeper;
  servers: ServerSet;
  secure: DtlsMux | undefined;
  endpoint: CoapEndpoint;
  reporting: InformationReporting;
  queue: QueueLink | undefined;
  running: ObjectTree;
  endpointName: string;
  log: Logger;
}

/** The radio goes off: the state goes to the retained memory; false when there is nothing whole to keep. */
export function retainForSleep(p: SleepingParts, nextWakeMs: number | undefined): boolean {
  const registrations = p.servers.keep();
  if (!registrations) return false;
  const peers: KeptPeer[] = [];
  for (const r of p.servers.registered) {
    const dtls = p.secure?.keep(r.peer.address, r.peer.port);
    if (dtls) peers.push({ ssid: r.ssid, address: r.peer.address, port: r.peer.port, dtls });
  }
  const { mid, observeSeq } = p.endpoint.counters;
  const ok = p.keeper.retain({
    fingerprint: configFingerprint(p.running, p.endpointName),
    nextWakeMs,
    mid,
    observeSeq,
    registrations,
    observations: p.reporting.keep((rel) => p.endpoint.keepRelation(rel)),
    peers,
  });
  // The retained copy is the only one the keys may live in.
  for (const k of peers) {
    k.dtls.resumable?.masterSecret.fill(0);
    k.dtls.session?.keyBlock.fill(0);
  }
  return ok;
}

/**
 * After a deep sleep: the registrations, observations and DTLS sessions the retained memory kept, for the
 * servers of this configuration; false (nothing changed but the CoAP counters) when they do not all fit.
 */
export function resumeAfterSleep(p: SleepingParts, resolved: Array<{ account: ServerAccount; peer: Peer }>, kept: Resumption): boolean {
  const { state, sleptMs } = kept;
  // Whatever happens next, no Message ID or Observe sequence number of before the sleep is used again.
  p.endpoint.counters = { mid: state.mid, observeSeq: state.observeSeq };
  for (const k of state.peers) {
    if (resolved.some((r) => r.account.ssid === k.ssid && r.peer.address === k.address && r.peer.port === k.port)) {
      p.secure?.resumeKept(k.address, k.port, k.dtls, sleptMs);
    }
    k.dtls.resumable?.masterSecret.fill(0);
    k.dtls.session?.keyBlock.fill(0);
  }
  if (!p.servers.resume(resolved, state.registrations, sleptMs)) {
    p.log.info('client: the kept registrations do not match the servers; registering again');
    return false;
  }
  const observations = p.reporting.resume(
    state.observations,
    (ssid, k) => {
      const reg = p.servers.registered.find((r) => r.ssid === ssid);
      return reg ? p.endpoint.resumeRelation(reg.peer, k) : null;
    },
    sleptMs,
  );
  const planned = state.nextWakeMs === undefined ? '' : ` (planned ${Math.round(state.nextWakeMs / 1000)} s)`;
  p.log.info(
    `client: awake after ${Math.round(sleptMs / 1000)} s of deep sleep${planned}: ${state.registrations.length} registration(s) and ${observations} observation(s) kept`,
  );
  p.queue?.wake('awake after a deep sleep');
  return true;
}
