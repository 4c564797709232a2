// A whole Firmware Update (object 5) of one registered client, driven from the
// host's LwM2M Server: delivery by push (Write of Package, block-wise) or pull
// (Package URI to a file the server serves), State and Update Result followed
// through observations, Update executed once Downloaded, the restart into the
// new image awaited as a new registration. The server only carries the requests.
import { createHash } from 'node:crypto';
import { ContentFormat } from '../firmware/formats';
import type { Timers } from '../firmware/platform/ports';
import { utf8Decode } from '../firmware/util/utf8';
import { FW_RESULT_NAMES, FW_STATE_NAMES } from './console/enums';
import type { LwM2MServer, OperationResult, ServerEvent } from './lwm2m-server';
import { tellObservers } from './observers';

/** State (/5/0/3) and Update Result (/5/0/5) by name and number, for the lines the CLI prints. */
export const fwStateText = (n: number): string => `${FW_STATE_NAMES[n] ?? 'unknown'} (${n})`;
export const fwResultText = (n: number): string => `${FW_RESULT_NAMES[n] ?? 'unknown'} (${n})`;

/** How a Firmware Update driven by updateFirmware() went, step by step. */
export type FirmwareUpdateEvent =
  | { type: 'start'; method: 'push' | 'pull'; bytes: number; uri?: string }
  | { type: 'state'; state: number }
  | { type: 'result'; result: number }
  | { type: 'delivered'; code: string; text?: string }
  | { type: 'executed'; code: string; text?: string }
  | { type: 'registered' }
  | { type: 'version'; version: string };

export interface FirmwareUpdateOptions {
  /** push: a Write of Package (/5/0/0, Block1, octet-stream); pull: Package URI (/5/0/1) to this server's file. Default push. */
  method?: 'push' | 'pull';
  /** The file's name in the pull URI (default image.bin). */
  name?: string;
  /** Bound on the delivery (push or download) until Downloaded, ms (default 10 min). */
  downloadTimeoutMs?: number;
  /** Bound on the restart: from Update to a result reported after the new registration, ms (default 2 min). */
  restartTimeoutMs?: number;
  onEvent?: (e: FirmwareUpdateEvent) => void;
}

export interface FirmwareUpdateOutcome {
  ok: boolean;
  /** The last Update Result seen. */
  result: number;
  /** /3/0/3 after the update, when it succeeded. */
  version?: string;
  /** One line on what went wrong. */
  reason?: string;
}

/**
 * A whole Firmware Update of a registered client: observe State and Update
 * Result, deliver the image (push: Write Package /5/0/0 with Block1,
 * octet-stream; pull: serve it and Write Package URI /5/0/1 with its
 * `#sha256=`), Execute Update /5/0/2 once State is Downloaded, wait for the
 * client to register again from its new image and report the Update Result,
 * then read /3/0/3. Every step is told through onEvent; failures end it
 * with a one-line reason (never a throw for what the device answers).
 */
export async function updateFirmware(
  server: LwM2MServer,
  ep: string,
  image: Uint8Array,
  o: FirmwareUpdateOptions = {},
): Promise<FirmwareUpdateOutcome> {
  const method = o.method ?? 'push';
  const tell = (e: FirmwareUpdateEvent) => tellObservers(e, o.onEvent);
  const reg = server.clients.get(ep);
  if (!reg) return { ok: false, result: 0, reason: `${ep} is not registered` };
  if (!reg.links.some((l) => /^\/5(\/0)?$/.test(l.target)))
    return { ok: false, result: 0, reason: `${ep} has no Firmware Update object (/5/0)` };

  const fw = new FirmwareWatch(server, ep, server.timers, tell);
  let name: string | undefined;
  try {
    let uri: string | undefined;
    if (method === 'pull') {
      name = o.name ?? 'image.bin';
      uri = `${await server.serveFile(name, image, ep)}#sha256=${createHash('sha256').update(image).digest('hex')}`;
    }
    tell({ type: 'start', method, bytes: image.length, uri });
    const first = await fw.observe();
    if (first) return { ok: false, result: fw.result, reason: first };
    if (fw.state !== 0)
      return {
        ok: false,
        result: fw.result,
        reason: `State is ${fwStateText(fw.state)}: cancel it first (execute ${ep} /5/0/10, or write an empty Package URI)`,
      };

    // Delivery.
    const downloadDeadline = server.timers.now() + (o.downloadTimeoutMs ?? 600_000);
    let delivered: OperationResult;
    const mark = fw.seq;
    if (uri === undefined) delivered = await server.writePackage(ep, image);
    else delivered = await server.write(ep, '/5/0/1', uri);
    tell({ type: 'delivered', code: delivered.code, text: delivered.text });
    if (delivered.code !== '2.04') {
      await fw.settle(300);
      return {
        ok: false,
        result: fw.result,
        reason: `${method === 'push' ? 'the Write of Package' : 'the Write of Package URI'} was answered ${delivered.code}${delivered.text ? `: ${delivered.text}` : ''}${fw.seq > mark && fw.result > 1 ? `; Update Result = ${fwResultText(fw.result)}` : ''}`,
      };
    }
    // A failure is an Idle with a result told after the delivery began (the one before may be an old failure's).
    // It also ends when the device goes back to Idle whatever the result (a cancel leaves 0), or its
    // registration ends or is replaced (a restart: the observations went with it).
    const downloaded = await fw.until(
      () => fw.state === 2 || (fw.seq > mark && fw.state === 0 && (fw.result > 1 || fw.leftDownloading)) || fw.gone !== undefined,
      downloadDeadline - server.timers.now(),
    );
    if (fw.gone !== undefined)
      return { ok: false, result: fw.result, reason: `${fw.gone} during the download (State was ${fwStateText(fw.state)})` };
    if (!downloaded)
      return {
        ok: false,
        result: fw.result,
        reason: `no Downloaded state within ${Math.round((o.downloadTimeoutMs ?? 600_000) / 1000)} s (State ${fwStateText(fw.state)})`,
      };
    if ((fw.state as number) !== 2 && fw.result <= 1)
      return {
        ok: false,
        result: fw.result,
        reason: `the download stopped: State is ${fwStateText(fw.state)}, Update Result ${fwResultText(fw.result)} (cancelled on the device?)`,
      };
    if ((fw.state as number) !== 2)
      return { ok: false, result: fw.result, reason: `download failed, Update Result = ${fwResultText(fw.result)}` };

    // Update: the client restarts into the new image and registers again.
    const restartDeadline = server.timers.now() + (o.restartTimeoutMs ?? 120_000);
    fw.expectRestart();
    const ex = await server.execute(ep, '/5/0/2');
    tell({ type: 'executed', code: ex.code, text: ex.text });
    if (ex.code !== '2.04')
      return { ok: false, result: fw.result, reason: `Update was answered ${ex.code}${ex.text ? `: ${ex.text}` : ''}` };
    const back = await fw.until(() => fw.registeredAgain || fw.result > 1, restartDeadline - server.timers.now());
    if (!back)
      return {
        ok: false,
        result: fw.result,
        reason: `${ep} did not register again within ${Math.round((o.restartTimeoutMs ?? 120_000) / 1000)} s of Update`,
      };
    if (!fw.registeredAgain) return { ok: false, result: fw.result, reason: `update failed, Update Result = ${fwResultText(fw.result)}` };
    tell({ type: 'registered' });
    // Its DM requests are served once our 2.01 has reached it.
    await new Promise<void>((r) => server.timers.setTimeout(r, 50));
    fw.forget();
    const again = await fw.observe();
    if (again) return { ok: false, result: fw.result, reason: again };
    const reported = await fw.until(() => fw.state === 0 && fw.result !== 0, restartDeadline - server.timers.now());
    if (!reported)
      return {
        ok: false,
        result: fw.result,
        reason: `no Update Result after the restart (State ${fwStateText(fw.state)}, Update Result ${fwResultText(fw.result)})`,
      };
    if (fw.result !== 1) return { ok: false, result: fw.result, reason: `update failed, Update Result = ${fwResultText(fw.result)}` };
    const v = await server.read(ep, '/3/0/3', ContentFormat.TEXT);
    const rec = v.records?.[0]?.value;
    const version = v.code !== '2.05' ? undefined : typeof rec === 'string' ? rec : utf8Decode(v.payload ?? new Uint8Array(0));
    if (version !== undefined) tell({ type: 'version', version });
    return { ok: true, result: 1, version };
  } catch (e) {
    return { ok: false, result: fw.result, reason: (e as Error).message };
  } finally {
    fw.close();
    if (name !== undefined) server.unserveFile(name);
  }
}

/**
 * Follows State and Update Result of one client through observations (and
 * its re-registration after Update), telling each change once.
 */
class FirmwareWatch {
  state = -1;
  result = -1;
  /** Values received (first answers and notifications), changed or not. */
  seq = 0;
  registeredAgain = false;
  /** State went from Downloading to something else since the observation began. */
  leftDownloading = false;
  /** Why the registration this watch follows is gone (before Update), or undefined. */
  gone: string | undefined;
  private restarting = false;
  private cancels: Array<(o?: { passive?: boolean }) => Promise<void>> = [];
  private wake: (() => void) | null = null;
  private readonly listener: (e: ServerEvent) => void;

  constructor(
    private readonly server: LwM2MServer,
    private readonly ep: string,
    private readonly timers: Timers,
    private readonly tell: (e: FirmwareUpdateEvent) => void,
  ) {
    this.listener = (e) => {
      if (e.reg.endpoint !== this.ep) return;
      if (e.type === 'registered') {
        if (this.restarting) this.registeredAgain = true;
        else this.gone = `${this.ep} registered again`;
      } else if (e.type === 'deregistered') this.gone = `${this.ep} ${e.expired ? 'expired' : 'de-registered'}`;
      else return;
      this.wake?.();
    };
    server.listeners.add(this.listener);
  }

  /** Observes /5/0/3 and /5/0/5 (the first values count as changes); a reason when it could not. */
  async observe(): Promise<string | undefined> {
    for (const [path, apply] of [
      ['/5/0/3', (n: number) => this.setState(n)],
      ['/5/0/5', (n: number) => this.setResult(n)],
    ] as const) {
      const take = (r: OperationResult) => {
        const v = r.records?.[0]?.value;
        if (typeof v !== 'number' && typeof v !== 'bigint') return;
        this.seq++;
        apply(Number(v));
      };
      const o = await this.server.observe(this.ep, path, take);
      if (o.first.code !== '2.05') return `observe ${path} was answered ${o.first.code}${o.first.text ? `: ${o.first.text}` : ''}`;
      this.cancels.push(o.cancel);
      take(o.first);
    }
    return undefined;
  }

  private setState(n: number): void {
    if (n === this.state) {
      this.wake?.();
      return;
    }
    if (this.state === 1) this.leftDownloading = true;
    this.state = n;
    this.tell({ type: 'state', state: n });
    this.wake?.();
  }

  private setResult(n: number): void {
    if (n === this.result) {
      this.wake?.();
      return;
    }
    this.result = n;
    this.tell({ type: 'result', result: n });
    this.wake?.();
  }

  /** From now on a new registration of the endpoint is the restart into the new image (registeredAgain). */
  expectRestart(): void {
    this.restarting = true;
    this.gone = undefined;
  }

  /** Waits until pred() holds (true) or `ms` pass (false). */
  until(pred: () => boolean, ms: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = this.timers.setTimeout(
        () => {
          this.wake = null;
          resolve(pred());
        },
        Math.max(0, ms),
      );
      this.wake = () => {
        if (pred()) {
          this.timers.clearTimeout(timer);
          this.wake = null;
          resolve(true);
        }
      };
    });
  }

  /** A short wait for a last notification (a failure's Update Result). */
  settle(ms: number): Promise<boolean> {
    return this.until(() => false, ms);
  }

  /** The observations were of a registration that is gone: forget them (their next notification gets RST). */
  forget(): void {
    for (const c of this.cancels) void c({ passive: true }).catch(() => {});
    this.cancels = [];
  }

  close(): void {
    for (const c of this.cancels) void c({ passive: false }).catch(() => {});
    this.cancels = [];
    this.server.listeners.delete(this.listener);
    this.wake = null;
  }
}
