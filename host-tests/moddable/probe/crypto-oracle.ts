// The crypto oracle of the probe build (probe/main starts it instead of the
// firmware when built with oracle=<ip>:<port>): the DTLS crypto port and the
// DTLS client answering a Node driver over UDP
// (host-tests/moddable/crypto-port.test.ts):
//  - each crypto request is computed with the port and answered, and the
//    driver compares with node:crypto;
//  - a DTLS_CLIENT request runs DtlsTransport as a client against the
//    driver's server: handshake, one datagram echoed back, close. It reports
//    the time the handshake took (elapsed, and spent in the DTLS code) and,
//    when asked, the live slot and chunk heaps (after a full GC) before, at
//    each datagram the client sends, once established and after close: the
//    XS heap one session costs.
// At start it says "ready" to the driver until the first request comes.
// Engine-neutral: everything of the runtime comes in through OracleDeps
// (probe/main gives the Moddable pieces), so this file has type imports only
// from the firmware and type-checks with the host tests.
import type { DtlsCrypto, AesBlockCipher } from '../../../firmware/dtls/crypto';
import type { DtlsTransport, DtlsTransportOptions } from '../../../firmware/dtls/transport';
import type { DatagramTransport, Logger, Random, TimerHandle, Timers } from '../../../firmware/platform/ports';
import { Op, Status, decodeRequest, encodeAnswer, readU16 } from './oracle-wire';

export interface Heap {
  slots: number;
  chunk: number;
}

export interface OracleDeps {
  oracle: { address: string; port: number };
  crypto: DtlsCrypto;
  ccmSeal(aes: AesBlockCipher, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagLength: number): Uint8Array;
  ccmOpen(aes: AesBlockCipher, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, tagLength: number): Uint8Array | null;
  Dtls: new (o: DtlsTransportOptions) => DtlsTransport;
  /** A new UDP socket on an ephemeral port. */
  openUdp(maxDatagramBytes?: number): DatagramTransport;
  timers: Timers;
  random: Random;
  log: Logger;
  /** Microseconds from any origin. */
  now(): number;
  /** The live heaps after a full garbage collection (host bytes). */
  live(): Heap;
  utf8Encode(s: string): Uint8Array;
  toHex(b: Uint8Array): string;
}

const TAG_LENGTH = 8;

export function startCryptoOracle(d: OracleDeps): void {
  const { crypto, timers, log } = d;
  const udp = d.openUdp(8192);
  const answer = (id: number, status: number, payload: Uint8Array) =>
    udp.send(encodeAnswer({ id, status, payload }), d.oracle.address, d.oracle.port);
  let hello: TimerHandle | undefined;
  const sayReady = () => {
    answer(0, Status.OK, d.utf8Encode('ready'));
    hello = timers.setTimeout(sayReady, 500);
  };

  udp.onReceive = (data: Uint8Array) => {
    if (hello !== undefined) {
      timers.clearTimeout(hello);
      hello = undefined;
    }
    const r = decodeRequest(data);
    if (r === undefined) return;
    const f = r.fields;
    try {
      switch (r.op) {
        case Op.SHA256:
          return answer(r.id, Status.OK, crypto.sha256(...f));
        case Op.HMAC_SHA256:
          return answer(r.id, Status.OK, crypto.hmacSha256(f[0]!, ...f.slice(1)));
        case Op.AES128_BLOCK: {
          const out = new Uint8Array(16);
          crypto.aes128(f[0]!).encryptBlock(f[1]!, out);
          return answer(r.id, Status.OK, out);
        }
        case Op.AES128_CBC_ENCRYPT:
          return answer(r.id, Status.OK, crypto.aes128CbcEncrypt(f[0]!, f[1]!, f[2]!));
        case Op.AES128_CBC_DECRYPT:
          return answer(r.id, Status.OK, crypto.aes128CbcDecrypt(f[0]!, f[1]!, f[2]!));
        case Op.CCM8_SEAL:
          return answer(r.id, Status.OK, d.ccmSeal(crypto.aes128(f[0]!), f[1]!, f[2]!, f[3]!, TAG_LENGTH));
        case Op.CCM8_OPEN: {
          const plain = d.ccmOpen(crypto.aes128(f[0]!), f[1]!, f[2]!, f[3]!, TAG_LENGTH);
          return plain === null ? answer(r.id, Status.NULL, new Uint8Array(0)) : answer(r.id, Status.OK, plain);
        }
        case Op.RANDOM:
          return answer(r.id, Status.OK, d.random.bytes(readU16(f[0]!)));
        case Op.DTLS_CLIENT:
          return dtlsClient(r.id, f);
        default:
          return answer(r.id, Status.ERROR, d.utf8Encode(`unknown op ${r.op}`));
      }
    } catch (e) {
      answer(r.id, Status.ERROR, d.utf8Encode(e instanceof Error ? `${e.name}: ${e.message}` : String(e)));
    }
  };

  /** One DTLS client session against the driver's server: handshake, one echo, close. */
  function dtlsClient(id: number, f: Uint8Array[]): void {
    const port = readU16(f[0]!);
    const identity = f[1]!.slice();
    const key = f[2]!.slice();
    const suite = readU16(f[3]!);
    const payload = f[4]!.slice();
    const sampleMemory = (f[5]?.[0] ?? 0) === 1;
    const heaps: { before?: Heap; peak?: Heap; established?: Heap; closed?: Heap } = {};
    const raise = (h: Heap) => {
      const p = heaps.peak!;
      heaps.peak = { slots: Math.max(p.slots, h.slots), chunk: Math.max(p.chunk, h.chunk) };
    };
    if (sampleMemory) heaps.before = heaps.peak = d.live();
    const socket = d.openUdp();
    let sends = 0;
    // Between the DTLS client and its socket: counts datagrams and samples the live heaps after each.
    const wire: DatagramTransport = {
      onReceive: null,
      send(data, address, p) {
        socket.send(data, address, p);
        sends++;
        if (sampleMemory) raise(d.live());
      },
      close() {
        socket.close();
      },
    };
    // Time spent inside the DTLS code (the answers to the server's datagrams; the first send below), without the
    // wait for the socket: the lin UDP module polls its socket every 20 ms, which dominates the elapsed time.
    let busyUs = 0;
    socket.onReceive = (data, address, p) => {
      const t = d.now();
      wire.onReceive?.(data, address, p);
      busyUs += d.now() - t;
    };
    const dtls = new d.Dtls({
      transport: wire,
      timers,
      random: d.random,
      crypto,
      log,
      client: { psk: () => ({ identity, key }), cipherSuites: [suite] },
    });
    let finished = false;
    const start = d.now();
    let handshakeUs = 0;
    let handshakeBusyUs = 0;
    let established = 0;
    // Ends the run on later turns, so nothing of the session is held by the stack when the heaps are read.
    const finish = (status: number, report: Record<string, unknown>) => {
      if (finished) return;
      finished = true;
      timers.clearTimeout(guard);
      timers.setTimeout(() => {
        if (sampleMemory && status === Status.OK) heaps.established = d.live();
        const stats = { ...dtls.stats };
        dtls.close();
        // Nothing here refers to the transport any more, so its remains are garbage by the next turn.
        timers.setTimeout(() => {
          if (sampleMemory) heaps.closed = d.live();
          answer(id, status, d.utf8Encode(JSON.stringify({ ...report, heaps, sends, stats })));
        }, 0);
      }, 0);
    };
    const guard = timers.setTimeout(() => finish(Status.ERROR, { error: 'no echo within 20 s' }), 20_000);
    dtls.onHandshakeDone = (info) => {
      handshakeUs = d.now() - start;
      handshakeBusyUs = busyUs;
      established = d.now();
      if (sampleMemory) raise(d.live());
      log.info(`dtls: session with ${info.address}:${info.port}, ${info.cipherSuiteName}, ${Math.round(handshakeUs)} us`);
    };
    dtls.onHandshakeFailed = (e) => finish(Status.NULL, { reason: e.reason, alert: e.alertName ?? null });
    dtls.onReceive = (data) =>
      finish(Status.OK, { echo: d.toHex(data), handshakeUs, handshakeBusyUs, echoUs: d.now() - established, suite });
    const t = d.now();
    dtls.send(payload, d.oracle.address, port);
    busyUs += d.now() - t;
  }

  sayReady();
}
