// Firmware Update (Object 5, Core Appendix E.6 and the object's definition):
// the state machine of State (/5/0/3) and Update Result (/5/0/5), fed by a
// push (a Write of Package /5/0/0, streamed block by block) or a pull (Package
// URI /5/0/1, fetched one Block2 block at a time, resuming after a loss),
// into a FirmwareSlot port; Update (/5/0/2) keeps what it started in the
// power-safe store and boots the new image, which reports the result once it
// has registered.
// One file: push, pull and Update are transitions of the one state machine
// drawn below, and each must leave State and Update Result consistent.
//
//   Idle ──Package / Package URI──▶ Downloading ──complete, checked──▶ Downloaded ──Update──▶ Updating ──restart──▶ Idle (1)
//     ▲                                  │ failure (2 3 4 5 6 7 9)        │ empty write, Cancel (10)        │ failed (8)
//     └──────────────────────────────────┴─────────────────────────────────┴────────────────────────────────┘
//
// Errors reach the server through Update Result; a Write of Package URI is
// answered 2.04 even when its URI turns out unusable (7, 9). Operations the
// state does not allow are refused with 4.05 (Update outside Downloaded, a
// new package while one is downloading or downloaded — write an empty one
// first). Nothing here holds an image whole: the header (at most a few
// hundred bytes) and a 32-byte window for the SHA-256 trailer.
//
// Push, pull and the restart share one state and one set of failure rules,
// kept in this one file.
import type { CoapEndpoint } from '../../coap/endpoint';
import type { IncomingRequest, Peer, ResponseSpec } from '../../coap/api';
import { CoapCapacityError, CoapTimeoutError } from '../../coap/errors';
import { Code, OptionNumber, codeString } from '../../coap/message';
import { findOption, getBlock, getSize1, decodeUint } from '../../coap/options';
import { ContentFormat } from '../../formats/index';
import type { Path, Value } from '../../model/types';
import type { FirmwareSlot, Logger, TimerHandle, Timers } from '../../platform/ports';
import { OBJ } from '../engine/ids';
import type { ObjectTree } from '../objects/object-tree';
import type { ServerUri } from '../registration/server-uri';
import { isEmptyPackage, parsePackageUri, tlvValueStart } from './package';
import { constantTimeEqual } from '../../util/bytes';
import { SHA256_LENGTH, TrailerCheck, UPDATE_RESULT, type HashStream, type ImageFormat, type ImageInfo } from './image';
import { toHex } from '../../util/hex';
import { utf8Encode } from '../../util/utf8';

/** State (/5/0/3). */
export const FW_STATE = Object.freeze({ IDLE: 0, DOWNLOADING: 1, DOWNLOADED: 2, UPDATING: 3 } as const);

/** Resources of /5/0 this client keeps (Core E.6). */
export const FW = Object.freeze({
  PACKAGE: 0,
  PACKAGE_URI: 1,
  UPDATE: 2,
  STATE: 3,
  UPDATE_RESULT: 5,
  PKG_NAME: 6,
  PKG_VERSION: 7,
  PROTOCOL_SUPPORT: 8,
  DELIVERY_METHOD: 9,
  CANCEL: 10,
  AUTOMATIC_UPGRADE: 14,
} as const);

/** Firmware Update Protocol Support values (/5/0/8). */
const PROTOCOL = Object.freeze({ COAP: 0, COAPS: 1 } as const);
/** Delivery Method (/5/0/9): push and pull. */
const DELIVERY_BOTH = 2;
/** A push whose next block does not come within this long has lost its connection (Update Result 4). */
export const DEFAULT_PUSH_IDLE_MS = 300_000;
/** A pull gives up after this long in all (Update Result 4). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 1_800_000;
/** A pull whose first block never comes gives up after this long (Update Result 4); once data has flowed the long deadline holds. */
export const DEFAULT_FIRST_BLOCK_TIMEOUT_MS = 60_000;
/** Pause before asking again for a block that went unanswered: doubling from 2 s, at most 60 s. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

/**
 * What an Update started, kept in the power-safe store across the restart; or,
 * with `downloading`, that a download is under way (version and name empty):
 * a restart in the middle of one is reported as Update Result 4.
 */
export interface PendingUpdate {
  /** The version of the image booted into (its header's), and its name. */
  version: string;
  name: string;
  /** The version that was running when Update was executed (or the download started). */
  from: string;
  downloading?: boolean;
}

export interface PendingUpdateStore {
  load(): PendingUpdate | undefined;
  /** undefined clears it; false when it could not be stored. */
  save(p: PendingUpdate | undefined): boolean;
}

export interface FirmwareUpdateOptions {
  slot: FirmwareSlot;
  format: ImageFormat;
  /** A fresh incremental SHA-256 (node:crypto, the SDK's Digest, noble in xsnap). */
  sha256: () => HashStream;
  /** Where an Update survives the restart; without one an Update ends in Update Result 8 after it. */
  store?: PendingUpdateStore;
  /** Block size of pulls (SZX 0..6, default 6: 1024 bytes). */
  blockSzx?: number;
  downloadTimeoutMs?: number;
  /** How long a pull waits for its first block (default 60 s; the server behind the URI may not exist). */
  firstBlockTimeoutMs?: number;
  pushIdleMs?: number;
}

/** What the client lends the firmware update. */
export interface FirmwareHost {
  tree(): ObjectTree;
  /** A value of /5/0 changed: observations covering it are evaluated. */
  changed(path: Path): void;
  log: Logger;
  timers: Timers;
  endpoint: CoapEndpoint;
  /** The version running now (/3/0/3). */
  runningVersion(): string;
  /** coaps can be fetched (the client has DTLS). */
  readonly dtls: boolean;
  /** The peer of a Package URI's host, secured with the account of server `ssid` for coaps; a reason when not reachable. */
  peerFor(uri: ServerUri, ssid: number): Promise<Peer | string>;
}

type Fail = { result: number; reason: string; code?: number };

const RESULT_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'initial',
  1: 'updated',
  2: 'not enough flash',
  3: 'out of RAM',
  4: 'connection lost',
  5: 'integrity check failure',
  6: 'unsupported package type',
  7: 'invalid URI',
  8: 'update failed',
  9: 'unsupported protocol',
  10: 'cancelled',
});

export class FirmwareUpdate {
  private state: number = FW_STATE.IDLE;
  private result: number = UPDATE_RESULT.INITIAL;
  /** Bumped by every start and reset: a download or timer of an older one stops. */
  private epoch = 0;
  private written = 0;
  private head: Uint8Array | null = null;
  private headLength = 0;
  private info: ImageInfo | null = null;
  private trailer: TrailerCheck | null = null;
  /** SHA-256 of the whole image a Package URI named (`#sha256=`), checked at the end. */
  private expected: { digest: Uint8Array; hash: HashStream } | null = null;
  private pushTimer: TimerHandle | null = null;
  private pushing = false;
  /** Bytes of the push on the wire so far (Block1 offsets count the TLV header too). */
  private pushOffset = 0;
  /** The last block taken, to answer it again if it comes again. */
  private lastBlock: { offset: number; length: number; more: boolean } | null = null;
  /** After a restart into a new image: confirm it and report once registered. */
  private awaitingRegistration: PendingUpdate | null = null;
  /** The store notes a download under way. */
  private marked = false;

  constructor(
    private readonly host: FirmwareHost,
    private readonly o: FirmwareUpdateOptions,
  ) {}

  /** Puts /5/0 into a (new) running tree; called whenever the running tree is replaced. */
  install(tree: ObjectTree): void {
    const uri = this.host.tree().get(OBJ.FIRMWARE, 0, FW.PACKAGE_URI);
    tree.set(OBJ.FIRMWARE, 0, FW.PACKAGE_URI, typeof uri === 'string' ? uri : '');
    tree.set(OBJ.FIRMWARE, 0, FW.STATE, this.state);
    tree.set(OBJ.FIRMWARE, 0, FW.UPDATE_RESULT, this.result);
    tree.set(OBJ.FIRMWARE, 0, FW.PKG_NAME, this.info?.name ?? '');
    tree.set(OBJ.FIRMWARE, 0, FW.PKG_VERSION, this.info?.version ?? '');
    const protocols = new Map<number, Value>([[0, PROTOCOL.COAP]]);
    if (this.host.dtls) protocols.set(1, PROTOCOL.COAPS);
    tree.set(OBJ.FIRMWARE, 0, FW.PROTOCOL_SUPPORT, protocols);
    tree.set(OBJ.FIRMWARE, 0, FW.DELIVERY_METHOD, DELIVERY_BOTH);
  }

  // ------------------------------------------------------------ restart

  /**
   * At start: an Update that was under way before the restart ends here. The
   * slot says whether the new image runs on trial or was rolled back; the
   * version says which image runs when the platform cannot tell.
   */
  boot(): void {
    const pending = this.o.store?.load();
    if (!pending) return;
    if (pending.downloading) {
      // Core E.6: a download that fails goes back to Idle with the reason in Update Result. The device
      // restarting midway cut the transfer as a lost connection does, and the slot's partial image is
      // never booted: Idle, 4 ("Connection lost during downloading process"); the server may start again.
      this.o.store!.save(undefined);
      this.host.log.error('firmware: a download was under way when the device restarted; Update Result 4 (connection lost)');
      this.set(FW_STATE.IDLE, UPDATE_RESULT.CONNECTION_LOST);
      return;
    }
    const running = this.host.runningVersion();
    const slot = this.o.slot;
    if (slot.boot === 'rolled-back' || running !== pending.version) {
      this.o.store!.save(undefined);
      this.host.log.error(
        `firmware: update to ${pending.version} failed: running ${running}${slot.boot === 'rolled-back' ? ' (rolled back)' : ''}`,
      );
      this.set(FW_STATE.IDLE, UPDATE_RESULT.UPDATE_FAILED);
      return;
    }
    // The new image runs: it is kept once it has shown it can register (the rollback guard until then).
    this.info = { version: pending.version, name: pending.name };
    this.awaitingRegistration = pending;
    this.set(FW_STATE.UPDATING, UPDATE_RESULT.INITIAL);
    this.host.log.info(`firmware: running ${pending.version} (was ${pending.from}); kept once registered`);
  }

  /** The client registered with a server: a new image has proved itself. */
  registered(): void {
    const p = this.awaitingRegistration;
    if (!p) return;
    this.awaitingRegistration = null;
    if (this.o.slot.boot === 'trial') this.o.slot.confirm();
    this.o.store?.save(undefined);
    this.host.log.info(`firmware: updated from ${p.from} to ${p.version}`);
    this.set(FW_STATE.IDLE, UPDATE_RESULT.SUCCESS);
  }

  // ------------------------------------------------------------ writes

  /** A Write of Package (whole, not streamed) or Package URI; other resources are the tree's. undefined = handled. */
  write(resourceId: number, value: Value, ssid: number): Fail | undefined {
    if (resourceId === FW.PACKAGE) return this.wholePackage(value instanceof Uint8Array ? value : undefined);
    if (resourceId === FW.PACKAGE_URI) return this.packageUri(typeof value === 'string' ? value : '', ssid);
    return undefined;
  }

  /** Whether a Write of this resource is the firmware update's to carry out (not stored as is). */
  ownsWrite(resourceId: number): boolean {
    return resourceId === FW.PACKAGE || resourceId === FW.PACKAGE_URI;
  }

  // E.6.1: errors of the package are reported by Update Result only; the Write that brought it is 2.04.
  private wholePackage(bytes: Uint8Array | undefined): Fail | undefined {
    if (!bytes || isEmptyPackage(bytes)) {
      this.reset('empty Package');
      return undefined;
    }
    const refused = this.startDownload('push');
    if (refused) return refused;
    const f = this.feed(bytes) ?? this.complete();
    if (f) this.failSoon(f);
    return undefined;
  }

  /** One block of a Package written with Block1 (RFC 7959), straight into the slot. */
  packageBlock(req: IncomingRequest): ResponseSpec {
    const b = req.block1!;
    let payload = req.payload;
    const last = this.lastBlock;
    if (last && b.offset === last.offset && req.payload.length === last.length && b.more === last.more && b.num > 0) {
      // The block just taken, sent again because its answer was lost: the same answer, nothing written twice.
      return { code: b.more ? Code.CONTINUE : Code.CHANGED };
    }
    this.lastBlock = null;
    if (b.num === 0) {
      if (!b.more && isEmptyPackage(payload)) {
        this.reset('empty Package');
        return { code: Code.CHANGED };
      }
      const format = req.contentFormat ?? ContentFormat.OPAQUE;
      if (format !== ContentFormat.OPAQUE && format !== ContentFormat.TLV)
        return refuse(Code.UNSUPPORTED_CONTENT_FORMAT, 'Package: octet-stream or TLV');
      const refused = this.startDownload('push');
      if (refused) return refuse(refused.code ?? Code.METHOD_NOT_ALLOWED, refused.reason);
      const size1 = getSize1(req.message);
      if (size1 !== undefined && size1 > this.o.slot.capacity) {
        const f = { result: UPDATE_RESULT.NOT_ENOUGH_FLASH, reason: `${size1} bytes announced, the slot holds ${this.o.slot.capacity}` };
        this.failSoon(f);
        return refuse(Code.REQUEST_ENTITY_TOO_LARGE, f.reason);
      }
      if (format === ContentFormat.TLV) {
        // A TLV Package is one resource: its header goes, the value streams on.
        const skip = tlvValueStart(payload);
        if (skip < 0) {
          this.failSoon({ result: UPDATE_RESULT.UNSUPPORTED_PACKAGE, reason: 'TLV Package without resource 0' });
          return refuse(Code.BAD_REQUEST, 'bad TLV Package');
        }
        payload = payload.subarray(skip);
      }
      this.pushing = true;
    } else if (!this.pushing || this.state !== FW_STATE.DOWNLOADING) {
      return refuse(Code.REQUEST_ENTITY_INCOMPLETE, 'no Package transfer under way');
    } else if (b.offset !== this.pushOffset) {
      return refuse(Code.REQUEST_ENTITY_INCOMPLETE, `block at ${b.offset}, expected ${this.pushOffset}`);
    }
    this.pushOffset = b.offset + req.payload.length;
    const f = this.feed(payload) ?? (b.more ? undefined : this.complete());
    if (f) {
      if (b.num === 0) this.failSoon(f);
      else this.failed(f);
      // The whole package is in: its verdict is Update Result's alone (E.6.1), the Write itself succeeded.
      if (!b.more) return { code: Code.CHANGED };
      // Mid-transfer the refusal ends the transfer (RFC 7959 §2.3); Update Result says why.
      return refuse(f.result === UPDATE_RESULT.NOT_ENOUGH_FLASH ? Code.REQUEST_ENTITY_TOO_LARGE : Code.BAD_REQUEST, f.reason);
    }
    if (b.more) this.armPushTimer();
    this.lastBlock = { offset: b.offset, length: req.payload.length, more: b.more };
    return { code: b.more ? Code.CONTINUE : Code.CHANGED };
  }

  private packageUri(uri: string, ssid: number): Fail | undefined {
    if (uri === '') {
      this.reset('empty Package URI');
      this.setUri('');
      return undefined;
    }
    const refused = this.startDownload('pull');
    if (refused) return refused;
    this.setUri(uri);
    const parsed = parsePackageUri(uri);
    if ('result' in parsed) {
      this.failSoon(parsed);
      return undefined;
    }
    if (parsed.uri.secure && !this.host.dtls) {
      this.failSoon({ result: UPDATE_RESULT.UNSUPPORTED_PROTOCOL, reason: 'coaps needs DTLS, which this client was built without' });
      return undefined;
    }
    if (parsed.digest) this.expected = { digest: parsed.digest, hash: this.o.sha256() };
    const epoch = this.epoch;
    // After the Write's 2.04 has gone: the download is the next practical opportunity.
    this.host.timers.setTimeout(() => {
      void this.pull(epoch, parsed.uri, parsed.path, parsed.query, ssid);
    }, 0);
    return undefined;
  }

  private setUri(uri: string): void {
    this.host.tree().set(OBJ.FIRMWARE, 0, FW.PACKAGE_URI, uri);
    this.host.changed({ objectId: OBJ.FIRMWARE, instanceId: 0, resourceId: FW.PACKAGE_URI });
  }

  // ------------------------------------------------------------ executes

  /** Update (/5/0/2): only in Downloaded; boots the image once the 2.04 is on its way. */
  update(): { code: number; afterResponse?: () => void } {
    if (this.state !== FW_STATE.DOWNLOADED) {
      this.host.log.warn(`firmware: Update refused in state ${stateName(this.state)}`);
      return { code: Code.METHOD_NOT_ALLOWED };
    }
    const info = this.info!;
    const pending: PendingUpdate = { version: info.version, name: info.name, from: this.host.runningVersion() };
    if (!this.o.store || !this.o.store.save(pending)) {
      this.host.log.error('firmware: the pending update could not be stored; not updating');
      this.set(FW_STATE.DOWNLOADED, UPDATE_RESULT.UPDATE_FAILED);
      return { code: Code.CHANGED };
    }
    this.set(FW_STATE.UPDATING, UPDATE_RESULT.INITIAL);
    this.host.log.info(`firmware: updating from ${pending.from} to ${pending.version}`);
    return {
      code: Code.CHANGED,
      afterResponse: () => {
        const err = this.o.slot.activate();
        if (err === undefined) return; // the restart is under way
        // The platform could not boot it: the image stays (Downloaded), the result says why.
        this.o.store!.save(undefined);
        this.host.log.error(`firmware: booting ${pending.version} failed: ${err}`);
        this.set(FW_STATE.DOWNLOADED, UPDATE_RESULT.UPDATE_FAILED);
      },
    };
  }

  /** Cancel (/5/0/10): before Update only (Core E.6). */
  cancel(): number {
    if (this.state !== FW_STATE.DOWNLOADING && this.state !== FW_STATE.DOWNLOADED) return Code.METHOD_NOT_ALLOWED;
    this.stop();
    this.o.slot.abort();
    this.host.log.info('firmware: update cancelled');
    this.set(FW_STATE.IDLE, UPDATE_RESULT.CANCELLED);
    return Code.CHANGED;
  }

  // ------------------------------------------------------------ download

  /** A new package may start in Idle only (Downloading and Downloaded need an empty write first). */
  private startDownload(how: 'push' | 'pull'): Fail | undefined {
    if (this.state === FW_STATE.DOWNLOADING && how === 'push' && this.pushing)
      this.o.slot.abort(); // a push starting over
    else if (this.state !== FW_STATE.IDLE) {
      return {
        result: this.result,
        reason: `a new package in state ${stateName(this.state)}: write an empty Package or Package URI first`,
        code: Code.METHOD_NOT_ALLOWED,
      };
    }
    this.stop();
    this.expected = null;
    const f = this.beginImage();
    if (f) return { ...f, code: Code.INTERNAL_SERVER_ERROR };
    this.pushOffset = 0;
    this.host.log.info(`firmware: ${how === 'push' ? 'receiving a Package' : 'downloading from the Package URI'}`);
    this.markDownloading(true);
    this.set(FW_STATE.DOWNLOADING, UPDATE_RESULT.INITIAL);
    return undefined;
  }

  /** Keeps in the store that a download is under way (a restart then reports it lost), or clears that. */
  private markDownloading(on: boolean): void {
    if (on === this.marked || !this.o.store) return;
    this.marked = on;
    const ok = this.o.store.save(on ? { version: '', name: '', from: this.host.runningVersion(), downloading: true } : undefined);
    if (!ok && on) this.host.log.warn('firmware: the download could not be noted in the store; a restart during it will not be reported');
  }

  /** The next bytes of the image: checked (header, size) and written to the slot. */
  private feed(data: Uint8Array): Fail | undefined {
    const slot = this.o.slot;
    if (this.written + data.length > slot.capacity)
      return { result: UPDATE_RESULT.NOT_ENOUGH_FLASH, reason: `image larger than the slot (${slot.capacity} bytes)` };
    if (!this.info) {
      const take = Math.min(data.length, this.head!.length - this.headLength);
      this.head!.set(data.subarray(0, take), this.headLength);
      this.headLength += take;
      if (this.headLength === this.head!.length) {
        const f = this.inspect();
        if (f) return f;
      }
    }
    this.trailer!.update(data);
    this.expected?.hash.update(data);
    const err = slot.write(data);
    if (err) return { result: UPDATE_RESULT.NOT_ENOUGH_FLASH, reason: `slot write: ${err}` };
    this.written += data.length;
    return undefined;
  }

  private inspect(): Fail | undefined {
    const r = this.o.format.inspect(this.head!.subarray(0, this.headLength));
    this.head = null;
    if (!r.ok) return { result: UPDATE_RESULT.UNSUPPORTED_PACKAGE, reason: `${r.reason} (want: ${this.o.format.name})` };
    if (r.info.size !== undefined && r.info.size > this.o.slot.capacity)
      return { result: UPDATE_RESULT.NOT_ENOUGH_FLASH, reason: `${r.info.size}-byte image, the slot holds ${this.o.slot.capacity}` };
    this.info = r.info;
    return undefined;
  }

  /** Every byte is in: the image is checked whole before it may be Downloaded. */
  private complete(): Fail | undefined {
    if (!this.info) {
      const f = this.inspect();
      if (f) return f;
    }
    const info = this.info!;
    this.pushing = false;
    this.cancelPushTimer();
    if (info.size !== undefined && this.written !== info.size)
      return { result: UPDATE_RESULT.INTEGRITY_FAILURE, reason: `${this.written} bytes, the header says ${info.size}` };
    if (this.written < SHA256_LENGTH || !this.trailer!.verify())
      return { result: UPDATE_RESULT.INTEGRITY_FAILURE, reason: "the image's SHA-256 does not match it" };
    if (this.expected && !constantTimeEqual(this.expected.hash.digest(), this.expected.digest))
      return { result: UPDATE_RESULT.INTEGRITY_FAILURE, reason: 'the SHA-256 of the Package URI does not match the image' };
    const err = this.o.slot.close();
    if (err) return { result: UPDATE_RESULT.INTEGRITY_FAILURE, reason: `the platform refused the image: ${err}` };
    this.host.log.info(`firmware: downloaded ${info.name} ${info.version} (${this.written} bytes)`);
    this.set(FW_STATE.DOWNLOADED, UPDATE_RESULT.INITIAL);
    if (this.host.tree().get(OBJ.FIRMWARE, 0, FW.AUTOMATIC_UPGRADE) === true) {
      const u = this.update();
      if (u.afterResponse) this.host.timers.setTimeout(u.afterResponse, 0);
    }
    return undefined;
  }

  /** Pull: one Block2 block at a time; a lost block is asked for again until the deadline. */
  private async pull(epoch: number, uri: ServerUri, path: string[], query: string[], ssid: number): Promise<void> {
    const { timers, endpoint } = this.host;
    const deadline = timers.now() + (this.o.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
    const firstBlockDeadline = timers.now() + (this.o.firstBlockTimeoutMs ?? DEFAULT_FIRST_BLOCK_TIMEOUT_MS);
    let flowed = false;
    const peer = await this.host.peerFor(uri, ssid);
    if (epoch !== this.epoch) return;
    if (typeof peer === 'string') {
      this.failed({ result: UPDATE_RESULT.INVALID_URI, reason: peer });
      return;
    }
    let szx = this.o.blockSzx ?? 6;
    let wait = RETRY_FIRST_MS;
    let etag: string | undefined;
    let restarted = false;
    for (;;) {
      const size = 16 << szx;
      let res;
      try {
        res = await endpoint.request(peer, { method: Code.GET, path, query, block2: { num: this.written / size, szx } });
      } catch (e) {
        res = e instanceof CoapTimeoutError ? null : undefined;
        if (res === undefined) {
          // Our own bounded tables had no room for the request: the RAM budget, not the link.
          const result = e instanceof CoapCapacityError ? UPDATE_RESULT.OUT_OF_RAM : UPDATE_RESULT.CONNECTION_LOST;
          if (epoch === this.epoch) this.failed({ result, reason: (e as Error).message });
          return;
        }
      }
      if (epoch !== this.epoch) return;
      const retry = res === null || res.code >= 160; // no answer, or 5.xx: the server may come back
      if (retry) {
        if (!flowed && timers.now() >= firstBlockDeadline) {
          this.failed({ result: UPDATE_RESULT.CONNECTION_LOST, reason: `no answer from ${uri.host}:${uri.port} to the first block` });
          return;
        }
        if (timers.now() + wait > deadline) {
          this.failed({ result: UPDATE_RESULT.CONNECTION_LOST, reason: `no block at ${this.written} before the download deadline` });
          return;
        }
        this.host.log.warn(
          `firmware: block at ${this.written} ${res ? `answered ${codeString(res.code)}` : 'unanswered'}; asking again in ${wait / 1000} s`,
        );
        await new Promise<void>((r) => timers.setTimeout(r, wait));
        if (epoch !== this.epoch) return;
        wait = Math.min(wait * 2, RETRY_MAX_MS);
        continue;
      }
      wait = RETRY_FIRST_MS;
      flowed = true;
      if (res!.code !== Code.CONTENT) {
        this.failed({ result: UPDATE_RESULT.INVALID_URI, reason: `the Package URI answered ${codeString(res!.code)}` });
        return;
      }
      const msg = { options: res!.options } as Parameters<typeof getBlock>[0];
      const b2 = getBlock(msg, OptionNumber.BLOCK2);
      if (b2 === null) {
        this.failed({ result: UPDATE_RESULT.CONNECTION_LOST, reason: 'malformed Block2 option' });
        return;
      }
      if (b2 && b2.szx < szx) {
        szx = b2.szx;
        if (b2.num * b2.size !== this.written) continue;
      } // the server's blocks are smaller
      if (b2 && b2.num * b2.size !== this.written) {
        this.failed({ result: UPDATE_RESULT.CONNECTION_LOST, reason: 'Block2 out of order' });
        return;
      }
      const tag = findOption(msg, OptionNumber.ETAG);
      const tagHex = tag ? toHex(tag.value) : undefined;
      if (this.written === 0) {
        etag = tagHex;
        const size2Option = findOption(msg, OptionNumber.SIZE2);
        const size2 = size2Option ? (decodeUint(size2Option.value) ?? 0) : 0;
        if (size2 > this.o.slot.capacity) {
          this.failed({ result: UPDATE_RESULT.NOT_ENOUGH_FLASH, reason: `${size2}-byte package, the slot holds ${this.o.slot.capacity}` });
          return;
        }
      } else if (tagHex !== etag) {
        // The file changed under us: start over once, then give up.
        if (restarted) {
          this.failed({ result: UPDATE_RESULT.INTEGRITY_FAILURE, reason: 'the package changed during the download' });
          return;
        }
        restarted = true;
        this.host.log.warn('firmware: the package changed during the download (ETag); starting over');
        const f = this.restartPull();
        if (f) {
          this.failed(f);
          return;
        }
        continue;
      }
      const f = this.feed(res!.payload) ?? (b2 && b2.more ? undefined : this.complete());
      if (f) {
        this.failed(f);
        return;
      }
      if (!b2 || !b2.more) return;
    }
  }

  private restartPull(): Fail | undefined {
    this.o.slot.abort();
    return this.beginImage();
  }

  /** A fresh image in the slot: nothing written, the header and the digests to come. */
  private beginImage(): Fail | undefined {
    const err = this.o.slot.open();
    if (err) return { result: UPDATE_RESULT.NOT_ENOUGH_FLASH, reason: `slot: ${err}` };
    this.written = 0;
    this.head = new Uint8Array(this.o.format.headerLength);
    this.headLength = 0;
    this.info = null;
    this.trailer = new TrailerCheck(this.o.sha256());
    if (this.expected) this.expected = { digest: this.expected.digest, hash: this.o.sha256() };
    return undefined;
  }

  // ------------------------------------------------------------ state

  /**
   * A failure found by the request that started the download: Downloading with Update Result 0
   * is shown first (E.6: a new download starts from 0), the failure a turn later, so an
   * observer sees 0 between two failures.
   */
  private failSoon(f: Fail): void {
    const epoch = this.epoch;
    this.host.timers.setTimeout(() => {
      if (epoch === this.epoch) this.failed(f);
    }, 0);
  }

  private failed(f: Fail): void {
    this.stop();
    this.o.slot.abort();
    this.host.log.error(`firmware: ${RESULT_NAMES[f.result] ?? f.result}: ${f.reason}`);
    this.set(FW_STATE.IDLE, f.result);
  }

  /** An empty Package or Package URI: back to Idle, the image gone, Update Result 0. */
  private reset(why: string): void {
    if (this.state === FW_STATE.UPDATING) return;
    this.stop();
    this.o.slot.abort();
    this.info = null;
    this.host.log.info(`firmware: reset (${why})`);
    this.set(FW_STATE.IDLE, UPDATE_RESULT.INITIAL);
  }

  private stop(): void {
    this.epoch++;
    this.pushing = false;
    this.lastBlock = null;
    this.cancelPushTimer();
  }

  private armPushTimer(): void {
    this.cancelPushTimer();
    const epoch = this.epoch;
    this.pushTimer = this.host.timers.setTimeout(() => {
      this.pushTimer = null;
      if (epoch === this.epoch && this.pushing)
        this.failed({ result: UPDATE_RESULT.CONNECTION_LOST, reason: 'the Package transfer stopped' });
    }, this.o.pushIdleMs ?? DEFAULT_PUSH_IDLE_MS);
  }

  private cancelPushTimer(): void {
    if (this.pushTimer !== null) {
      this.host.timers.clearTimeout(this.pushTimer);
      this.pushTimer = null;
    }
  }

  /** Sets State and Update Result (and PkgName/PkgVersion with them); observers hear of each change. */
  private set(state: number, result: number): void {
    const tree = this.host.tree();
    const put = (rid: number, v: Value) => {
      if (tree.get(OBJ.FIRMWARE, 0, rid) === v) return;
      tree.set(OBJ.FIRMWARE, 0, rid, v);
      this.host.changed({ objectId: OBJ.FIRMWARE, instanceId: 0, resourceId: rid });
    };
    this.state = state;
    this.result = result;
    if (state !== FW_STATE.DOWNLOADING) this.markDownloading(false);
    put(FW.UPDATE_RESULT, result);
    put(FW.STATE, state);
    put(FW.PKG_NAME, state === FW_STATE.IDLE && result !== UPDATE_RESULT.SUCCESS ? '' : (this.info?.name ?? ''));
    put(FW.PKG_VERSION, state === FW_STATE.IDLE && result !== UPDATE_RESULT.SUCCESS ? '' : (this.info?.version ?? ''));
  }
}

function refuse(code: number, reason: string): ResponseSpec {
  return { code, contentFormat: ContentFormat.TEXT, payload: utf8Encode(reason) };
}

function stateName(s: number): string {
  return ['Idle', 'Downloading', 'Downloaded', 'Updating'][s] ?? String(s);
}
