// Eclipse Leshan interop harness: fetch (via interop/fetch-leshan.sh), start the Leshan
// demo server, a Leshan bootstrap server and the Leshan client on loopback with free
// ports, wait until each is ready, and stop them whatever happens.
//
//   const server = await startLeshanServer();
//   const bs = await startLeshanBootstrapServer();
//   await bs.rest.setConfig('ep', bootstrapConfig({ serverUri: server.coapUri }));
//   ... client bootstraps from bs.coapUri ...
//   await server.rest.read('ep', '/3/0', { format: 'TLV' });
//   await stopAllJava();   // in an after hook
//
// Over coaps (DTLS 1.2 PSK): the demo server always listens on coapsUri and learns an
// endpoint's PSK through server.rest.setPsk(ep, identity, key); startLeshanBootstrapServer({
// coaps: true }) adds bs.coapsUri, where a client is known by the PSK of the Bootstrap-Server
// account in its config (bootstrapConfig({ bootstrapServerUri: bs.coapsUri, bootstrapPsk,
// serverUri: server.coapsUri, serverPsk })); startLeshanClient({ psk }) gives Leshan's client a PSK.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { JavaProcess, checkJava, freeTcpPort, freeUdpPort } from './process';
import { LeshanBootstrapRest, LeshanServerRest, httpCall } from './rest';

export * from './process';
export * from './rest';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const LESHAN_DIR = join(REPO_ROOT, 'interop/.cache/leshan');
const SERVER_JAR = join(LESHAN_DIR, 'leshan-server-demo.jar');
const LAUNCHERS_JAR = join(LESHAN_DIR, 'xs-lwm2m-leshan-launchers.jar');
const FETCH_SCRIPT = join(REPO_ROOT, 'interop/fetch-leshan.sh');

/** Leshan release the harness runs (see interop/pom.xml for why). */
export const LESHAN_VERSION = '2.0.0-M4';

/** Bound on a cold fetch (Maven downloads ~25 MB). */
const FETCH_TIMEOUT_MS = 10 * 60_000;
/** Default bound on JVM start → REST answering. */
const READY_TIMEOUT_MS = 60_000;

/**
 * Small-footprint JVM flags: this harness shares 2 cores with other work, and the
 * C1-only JIT starts faster. Gson in the 2.0.0-M4 demo needs java.util opened on Java 17
 * (else GET /api/clients fails with InaccessibleObjectException).
 */
const JVM_FLAGS = [
  '-Xmx256m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Xshare:auto',
  '--add-opens',
  'java.base/java.util=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang=ALL-UNNAMED',
];

let fetched: Promise<void> | undefined;

/**
 * Java check, then interop/fetch-leshan.sh (idempotent; near-instant on a warm cache).
 * Rejects with a clear message (never hangs) if Java/Maven is missing or the fetch fails.
 */
export function ensureLeshan(): Promise<void> {
  fetched ??= (async () => {
    checkJava();
    await new Promise<void>((resolvePromise, reject) => {
      const out: string[] = [];
      const child = spawn('bash', [FETCH_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.stdout.on('data', (d: Buffer) => out.push(d.toString()));
      child.stderr.on('data', (d: Buffer) => out.push(d.toString()));
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        reject(new Error(`interop/fetch-leshan.sh took over ${FETCH_TIMEOUT_MS} ms:\n${out.join('')}`));
      }, FETCH_TIMEOUT_MS);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0 && existsSync(SERVER_JAR) && existsSync(LAUNCHERS_JAR)) resolvePromise();
        else reject(new Error(`interop/fetch-leshan.sh failed (exit ${code}):\n${out.join('')}`));
      });
    });
  })();
  const p = fetched;
  p.catch(() => (fetched = undefined)); // a later call may retry
  return p;
}

export interface StartOptions {
  /** Loopback address to bind (CoAP and web). Default 127.0.0.1. */
  host?: string;
  readyTimeoutMs?: number;
}

async function waitReady(proc: JavaProcess, url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive) throw proc.failure(`exited (code ${proc.exitCode}, signal ${proc.exitSignal}) before ${url} answered`);
    const ok = await httpCall('GET', url, undefined, undefined, 2000).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return Date.now() - proc.startedAt;
    if (Date.now() > deadline) {
      await proc.stop();
      throw proc.failure(`${url} did not answer within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

function hostUri(host: string, port: number, scheme: 'coap' | 'coaps' = 'coap'): string {
  return host.includes(':') ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`;
}

/** A PSK (identity, key) as the harness passes it to Leshan; the key is never logged. */
export interface PskCredentials {
  identity: string;
  key: Uint8Array;
}

export function keyHex(key: Uint8Array): string {
  return Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
}

function webBase(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export interface LeshanServerHandle {
  proc: JavaProcess;
  host: string;
  coapPort: number;
  coapsPort: number;
  webPort: number;
  /** coap://host:port the clients register to */
  coapUri: string;
  /** coaps://host:port (DTLS; PSK clients need server.rest.setPsk first) */
  coapsUri: string;
  rest: LeshanServerRest;
  /** JVM start → REST answering, ms */
  readyMs: number;
  stop(): Promise<void>;
}

/** Starts the Leshan demo server (java -jar leshan-server-demo.jar) on free loopback ports. */
export async function startLeshanServer(opts: StartOptions = {}): Promise<LeshanServerHandle> {
  await ensureLeshan();
  const host = opts.host ?? '127.0.0.1';
  const coapPort = await freeUdpPort(host);
  const coapsPort = await freeUdpPort(host);
  const webPort = await freeTcpPort(host);
  // options as printed by `java -jar leshan-server-demo.jar --help` (2.0.0-M4)
  const args = [
    ...JVM_FLAGS,
    '-jar',
    SERVER_JAR,
    '-lh',
    host,
    '-lp',
    String(coapPort),
    '-slh',
    host,
    '-slp',
    String(coapsPort),
    '-wh',
    host,
    '-wp',
    String(webPort),
  ];
  // A working directory of its own: the demo keeps its security store in ./data/security.data
  // (FileSecurityStore), which must not carry PSKs from one run (or one server) to the next.
  const cwd = mkdtempSync(join(tmpdir(), 'xs-lwm2m-leshan-server-'));
  const proc = new JavaProcess(`leshan-server(:${coapPort})`, args, cwd);
  const cleanup = () => rmSync(cwd, { recursive: true, force: true });
  void proc.exited.then(cleanup);
  const base = webBase(host, webPort);
  const readyMs = await waitReady(proc, `${base}/api/server/endpoint`, opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  return {
    proc,
    host,
    coapPort,
    coapsPort,
    webPort,
    coapUri: hostUri(host, coapPort),
    coapsUri: hostUri(host, coapsPort, 'coaps'),
    rest: new LeshanServerRest(base),
    readyMs,
    stop: () => proc.stop(),
  };
}

export interface LeshanBootstrapHandle {
  proc: JavaProcess;
  host: string;
  coapPort: number;
  /** null unless started with { coaps: true } */
  coapsPort: number | null;
  webPort: number;
  coapUri: string;
  /** coaps://host:port, null unless started with { coaps: true } */
  coapsUri: string | null;
  rest: LeshanBootstrapRest;
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * Starts Leshan's LeshanBootstrapServer through our launcher
 * (interop/src/main/java/xslwm2m/interop/BsServer.java): the Leshan bsserver demo
 * jar is not published on Maven Central. Plain CoAP, plus CoAPS (DTLS PSK) with `coaps`.
 */
export async function startLeshanBootstrapServer(opts: StartOptions & { coaps?: boolean } = {}): Promise<LeshanBootstrapHandle> {
  await ensureLeshan();
  const host = opts.host ?? '127.0.0.1';
  const coapPort = await freeUdpPort(host);
  const coapsPort = opts.coaps ? await freeUdpPort(host) : null;
  const webPort = await freeTcpPort(host);
  const args = [
    ...JVM_FLAGS,
    '-cp',
    `${LAUNCHERS_JAR}:${join(LESHAN_DIR, 'lib')}/*`,
    'xslwm2m.interop.BsServer',
    '-lh',
    host,
    '-lp',
    String(coapPort),
    ...(coapsPort !== null ? ['-slh', host, '-slp', String(coapsPort)] : []),
    '-wh',
    host,
    '-wp',
    String(webPort),
  ];
  const proc = new JavaProcess(`leshan-bsserver(:${coapPort})`, args, LESHAN_DIR);
  const base = webBase(host, webPort);
  const readyMs = await waitReady(proc, `${base}/api/server`, opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  return {
    proc,
    host,
    coapPort,
    coapsPort,
    webPort,
    coapUri: hostUri(host, coapPort),
    coapsUri: coapsPort !== null ? hostUri(host, coapsPort, 'coaps') : null,
    rest: new LeshanBootstrapRest(base),
    readyMs,
    stop: () => proc.stop(),
  };
}

export interface LeshanClientOptions {
  endpoint: string;
  /** coap://host:port of the bootstrap server (bootstrap=true) or of the LwM2M server. */
  uri: string;
  /** true: `uri` is a bootstrap server (the demo's -b flag). */
  bootstrap: boolean;
  /** Registration lifetime in s when registering directly (default 300). */
  lifetime?: number;
  host?: string;
  /** DTLS PSK towards `uri` (a coaps:// URI): the Security instance becomes PSK mode. */
  psk?: PskCredentials;
}

export interface LeshanClientHandle {
  proc: JavaProcess;
  endpoint: string;
  /**
   * Resolves with the detail of the client's `nth` (1-based, counted from its start)
   * "EVENT <name>" stdout line: started, bootstrap-success, bootstrap-failure,
   * registration-success (detail: location), update-success, deregistration-success, ...
   */
  waitForEvent(name: string, timeoutMs?: number, nth?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Leshan's LeshanClient with Security/Server/Device objects through our launcher
 * (interop/src/main/java/xslwm2m/interop/Client.java), which takes the Leshan client
 * demo's options: -n endpoint, -u URI, -b (URI is a bootstrap server), -lh/-lp, -l lifetime,
 * -i PSK identity; the PSK key goes through the environment (XS_LWM2M_PSK_KEY_HEX), not the
 * command line, so it shows in no process listing.
 */
export async function startLeshanClient(o: LeshanClientOptions): Promise<LeshanClientHandle> {
  await ensureLeshan();
  const host = o.host ?? '127.0.0.1';
  const args = [
    ...JVM_FLAGS,
    '-cp',
    `${LAUNCHERS_JAR}:${join(LESHAN_DIR, 'lib')}/*`,
    'xslwm2m.interop.Client',
    '-n',
    o.endpoint,
    '-u',
    o.uri,
    '-lh',
    host,
    '-lp',
    '0',
    ...(o.bootstrap ? ['-b'] : ['-l', String(o.lifetime ?? 300)]),
    ...(o.psk ? ['-i', o.psk.identity] : []),
  ];
  const env = o.psk ? { ...process.env, XS_LWM2M_PSK_KEY_HEX: keyHex(o.psk.key) } : undefined;
  const proc = new JavaProcess(`leshan-client(${o.endpoint})`, args, LESHAN_DIR, env);
  await proc.waitForLine(/^EVENT started/, READY_TIMEOUT_MS);
  return {
    proc,
    endpoint: o.endpoint,
    waitForEvent: async (name, timeoutMs = 30000, nth = 1) => {
      const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const re = new RegExp(`^EVENT ${esc}(?: (.*))?$`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hits = proc.grep(re);
        if (hits.length >= nth) return re.exec(hits[nth - 1]!)![1] ?? '';
        if (!proc.alive) throw proc.failure(`exited before EVENT ${name} #${nth}`);
        if (Date.now() > deadline) throw proc.failure(`no EVENT ${name} #${nth} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => proc.stop(),
  };
}
