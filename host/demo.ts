// `xs-lwm2m demo`: a Bootstrap-Server, an LwM2M Server and a client on
// loopback, with a short readable trace of each step. Left running (no
// --once), the client's supply moves and it Sends now and then, so the web
// console has live values to plot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LwM2MClient } from '../firmware/lwm2m/engine/client';
import { makeHostImage } from '../firmware/lwm2m/firmware-update/image';
import { ContentFormat } from '../firmware/formats';
import { consoleLogger, nodeRandom, nodeTimers, openUdp } from '../firmware/platform/node';
import type { Logger } from '../firmware/platform/ports';
import { BootstrapServer } from './bootstrap-server';
import { LwM2MServer } from './lwm2m-server';
import { fwResultText, fwStateText, updateFirmware, type FirmwareUpdateEvent } from './firmware-update-job';
import { codeName } from './console/terms';
import { showRecords } from './console/typed-values';
import { NODE_FACTORY_VERSION, startNodeDevice, type NodeDevice } from './runtime';
import { nodeCrypto } from '../firmware/platform/node/crypto';
import { toHex } from '../firmware/util/hex';
import { PskStore } from './psk-store';

export interface DemoOptions {
  once?: boolean;
  /** Bootstrap and register over coaps (DTLS 1.2, PSK) instead of coap. */
  coaps?: boolean;
  endpointName?: string;
  verbose?: boolean;
  /** After the Read of /3/0, update the client's firmware: the server pushes (or serves for a pull) a new host image. */
  update?: 'push' | 'pull';
  /** Bound on each of the server's Device Management requests (the console's), ms. */
  requestTimeoutMs?: number;
  out?: (line: string) => void;
}

export interface Demo {
  stop(): Promise<void>;
  /** True once the server has read /3/0 after the registration (with `update`: once the client runs the new firmware). */
  done: Promise<boolean>;
  /** The client device (its .client follows a firmware restart). */
  device: NodeDevice;
  server: LwM2MServer;
  bootstrap: BootstrapServer;
}

const SSID = 101;
/** The firmware the demo's update installs. */
export const DEMO_UPDATE_VERSION = '0.2.0';
const DEMO_IMAGE_BODY = 256 * 1024;

export async function runDemo(o: DemoOptions = {}): Promise<Demo> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const quiet: Logger = o.verbose ? consoleLogger('debug') : consoleLogger('error');
  const t0 = Date.now();
  const at = () => `+${String(Date.now() - t0).padStart(4)} ms`;
  const ep = o.endpointName ?? 'xs-lwm2m-demo';

  const serverUdp = await openUdp({ address: '127.0.0.1', log: quiet });
  const bsUdp = await openUdp({ address: '127.0.0.1', log: quiet });
  // With --coaps each server has a second socket for DTLS, and the endpoint a fresh PSK per
  // server (its identity is the endpoint name; the keys are never printed).
  const serverDtlsUdp = o.coaps ? await openUdp({ address: '127.0.0.1', log: quiet }) : undefined;
  const bsDtlsUdp = o.coaps ? await openUdp({ address: '127.0.0.1', log: quiet }) : undefined;
  const serverUri = serverDtlsUdp ? `coaps://127.0.0.1:${serverDtlsUdp.port}` : `coap://127.0.0.1:${serverUdp.port}`;
  const bsUri = bsDtlsUdp ? `coaps://127.0.0.1:${bsDtlsUdp.port}` : `coap://127.0.0.1:${bsUdp.port}`;
  const bsKey = nodeRandom.bytes(16),
    serverKey = nodeRandom.bytes(16);
  const psk = new PskStore();
  if (o.coaps) psk.set(ep, ep, serverKey);
  out(
    `xs-lwm2m demo — Bootstrap-Server ${bsUri}, LwM2M Server ${serverUri}, endpoint "${ep}"${o.coaps ? ` (DTLS 1.2, PSK identity "${ep}")` : ''}`,
  );

  let resolveDone!: (ok: boolean) => void;
  const done = new Promise<boolean>((r) => {
    resolveDone = r;
  });

  const server = new LwM2MServer({
    transport: serverUdp,
    timers: nodeTimers,
    random: nodeRandom,
    log: quiet,
    psk,
    requestTimeoutMs: o.requestTimeoutMs,
    coaps: serverDtlsUdp ? { transport: serverDtlsUdp, crypto: nodeCrypto } : undefined,
    onEvent: (e) => {
      if (e.type === 'registered') {
        out(
          `${at()}  server     registered ${e.reg.endpoint} at /rd/${e.reg.id} (lifetime ${e.reg.lifetime} s, binding ${e.reg.binding}, lwm2m ${e.reg.lwm2mVersion}${e.reg.secure ? ', over DTLS' : ''})`,
        );
        out(`${at()}  server     objects: ${e.reg.links.map((l) => `<${l.target}>`).join(',')}`);
        // After our 2.01 has gone out: the client ignores DM requests until it has it.
        setTimeout(() => void readDevice(), 20);
      } else if (e.type === 'updated') out(`${at()}  server     update from ${e.reg.endpoint}`);
      else if (e.type === 'deregistered') out(`${at()}  server     ${e.reg.endpoint} ${e.expired ? 'expired' : 'de-registered'}`);
    },
  });
  const account = o.coaps
    ? { uri: serverUri, ssid: SSID, lifetime: 60, securityMode: 'psk' as const, pskIdentity: ep, pskKeyHex: toHex(serverKey) }
    : { uri: serverUri, ssid: SSID, lifetime: 60 };
  const bs = new BootstrapServer({
    transport: bsUdp,
    timers: nodeTimers,
    random: nodeRandom,
    log: quiet,
    coaps: bsDtlsUdp ? { transport: bsDtlsUdp, crypto: nodeCrypto } : undefined,
    config: {
      format: 'tlv',
      endpoints: { [ep]: { servers: [account], ...(o.coaps ? { psk: { identity: ep, keyHex: toHex(bsKey) } } : {}) } },
    },
    onEvent: (e) => {
      if (e.type === 'request') out(`${at()}  bootstrap  Bootstrap-Request from ${e.endpoint}`);
      else if (e.type === 'step') {
        out(`${at()}  bootstrap  ${e.operation.padEnd(8)} ${e.path.padEnd(4)} → ${e.code}`);
        if (e.detail) out(`${' '.repeat(11)}  bootstrap  ${e.detail}`);
      } else out(`${at()}  bootstrap  ${e.ok ? 'finished: configuration accepted' : `failed: ${e.diagnostic}`}`);
    },
  });

  let device: NodeDevice | undefined;
  let readOnce = false;
  const readDevice = async () => {
    if (readOnce) return; // the registration after a firmware restart is the update's to follow
    readOnce = true;
    try {
      const r = await server.read(ep, '/3/0', ContentFormat.TLV);
      out(`${at()}  server     Read /3/0 → ${codeName(r.code)}`);
      for (const line of showRecords(r.records).split('\n')) if (line) out(`${' '.repeat(11)}             ${line}`);
      if (o.update) resolveDone(await updateDevice(o.update));
      else resolveDone(true);
    } catch (e) {
      out(`${at()}  server     Read /3/0 failed: ${(e as Error).message}`);
      resolveDone(false);
    }
  };
  const updateDevice = async (method: 'push' | 'pull'): Promise<boolean> => {
    const body = new Uint8Array(DEMO_IMAGE_BODY).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
    const image = makeHostImage('xs-lwm2m-demo', DEMO_UPDATE_VERSION, body, (d) => nodeCrypto.sha256(d));
    out(
      `${at()}  server     Firmware Update: ${method} of host image "xs-lwm2m-demo" ${DEMO_UPDATE_VERSION} (${image.length} bytes), running ${NODE_FACTORY_VERSION}`,
    );
    const tell = (e: FirmwareUpdateEvent) => {
      const line = (t: string) => out(`${at()}  server     ${t}`);
      switch (e.type) {
        case 'start':
          line(method === 'push' ? 'Write /5/0/0 Package, Block1 octet-stream …' : `Write /5/0/1 Package URI ${e.uri}`);
          break;
        case 'delivered':
          line(`Write ${method === 'push' ? '/5/0/0' : '/5/0/1'} → ${codeName(e.code)}`);
          break;
        case 'state':
          line(`State = ${fwStateText(e.state)}`);
          break;
        case 'result':
          line(`Update Result = ${fwResultText(e.result)}`);
          break;
        case 'executed':
          line(`Execute /5/0/2 Update → ${codeName(e.code)}`);
          break;
        case 'registered':
          line(`${ep} registered again`);
          break;
        case 'version':
          line(`Read /3/0/3 Firmware Version → ${JSON.stringify(e.version)}`);
          break;
      }
    };
    const r = await updateFirmware(server, ep, image, { method, name: 'xs-lwm2m-demo.img', onEvent: tell });
    if (!r.ok) out(`${at()}  server     Firmware Update failed: ${r.reason}`);
    return r.ok && r.version === DEMO_UPDATE_VERSION;
  };

  // With --update the client takes firmware updates: host images into a slot in a temporary directory…
  const fwDir = o.update ? mkdtempSync(join(tmpdir(), 'xs-lwm2m-demo-fw-')) : undefined;
  device = await startNodeDevice({
    endpointName: ep,
    bootstrapUri: bsUri,
    log: quiet,
    psk: o.coaps ? { identity: ep, key: bsKey } : undefined,
    // …and keeps what it learnt at bootstrap in a store beside it, so the restart registers from "flash".
    ...(fwDir ? { firmware: { dir: join(fwDir, 'firmware') }, stateDir: join(fwDir, 'state') } : {}),
    onRestart: (_c, boot, version) =>
      out(
        `${at()}  client     restarted (no De-register) into firmware ${version}, ${boot === 'trial' ? 'on trial until it registers' : boot}`,
      ),
    onEvent: (e) => {
      switch (e.type) {
        case 'state':
          out(`${at()}  client     state → ${e.state}`);
          break;
        case 'bootstrap-request':
          out(`${at()}  client     Bootstrap-Request to ${e.uri}`);
          break;
        case 'bootstrap-finished':
          out(`${at()}  client     consistency check: ${e.ok ? 'consistent, committed' : `inconsistent (${e.diagnostic})`}`);
          break;
        case 'bootstrap-aborted':
          out(`${at()}  client     bootstrap aborted: ${e.reason}`);
          break;
        case 'registered':
          out(`${at()}  client     registered with ssid ${e.ssid} at ${e.location}`);
          break;
        case 'registration-failed':
          out(`${at()}  client     registration to ssid ${e.ssid} failed`);
          break;
        default:
          break;
      }
    },
  });

  let stopSupply = () => {};
  const dev = device;
  if (!o.once)
    void done.then((ok) => {
      if (ok) stopSupply = simulateSupply(() => dev.client);
    });

  const stop = async () => {
    stopSupply();
    await dev.stop();
    server.close();
    bs.close();
    if (fwDir) rmSync(fwDir, { recursive: true, force: true });
  };
  return { stop, done, server, bootstrap: bs, device: dev };
}

/** A battery-like supply: Power Source Voltage /3/0/7/0 (mV) and Current /3/0/8/0 (mA) move every second
 *  (observers are notified), and both are Sent to the server every 10 s. Deterministic, no randomness. */
function simulateSupply(current: () => LwM2MClient): () => void {
  let tick = 0;
  const step = () => {
    tick++;
    const client = current();
    client.setValue('/3/0/7', new Map([[0, Math.round(3700 + 250 * Math.sin(tick / 8) + 20 * Math.sin(tick * 1.7))]]));
    client.setValue('/3/0/8', new Map([[0, Math.round(120 + 40 * Math.sin(tick / 5 + 1))]]));
    if (tick % 10 === 0) void client.send(SSID, ['/3/0/7', '/3/0/8']).catch(() => {});
  };
  step();
  const timer = setInterval(step, 1000);
  return () => clearInterval(timer);
}
