// Devices that register and then never answer again, as a device that lost
// power or went out of range does: a raw CoAP socket sends Register, waits for
// the server's 2.01 and ignores everything after it. Many endpoints can
// register from one socket (the console's list of many devices).
import { createSocket, type Socket } from 'node:dgram';
import { Code, OptionNumber, Type, decodeMessage, encodeMessage } from '../../firmware/coap/message';
import { getLocationPath, stringOption, uintOption } from '../../firmware/coap/options';
import { ContentFormat } from '../../firmware/formats';
import { utf8Encode } from '../../firmware/util/utf8';

export class SilentDevices {
  private readonly socket: Socket = createSocket('udp4');
  private mid = 1;
  private readonly waiting = new Map<number, (location: string) => void>();
  /** Requests the server sent that nobody answered. */
  unanswered = 0;

  private constructor(private readonly serverPort: number) {
    this.socket.on('message', (data) => {
      const d = decodeMessage(new Uint8Array(data));
      if (!d.ok) return;
      const m = d.message;
      const w = this.waiting.get(m.messageId);
      if (m.type === Type.ACK && w && m.code === Code.CREATED) {
        this.waiting.delete(m.messageId);
        w('/' + getLocationPath(m).join('/'));
        return;
      }
      if (m.type === Type.CON) this.unanswered++;
    });
  }

  static async open(serverPort: number): Promise<SilentDevices> {
    const d = new SilentDevices(serverPort);
    await new Promise<void>((r) => d.socket.bind(0, '127.0.0.1', r));
    return d;
  }

  /** Registers `endpoint` (with /3/0 and whatever `links` add) and resolves with its location. */
  register(endpoint: string, o: { lifetime?: number; links?: string } = {}): Promise<string> {
    const mid = this.mid++;
    const msg = encodeMessage({
      type: Type.CON,
      code: Code.POST,
      messageId: mid,
      token: Uint8Array.of(mid >> 8, mid & 255),
      options: [
        stringOption(OptionNumber.URI_PATH, 'rd'),
        uintOption(OptionNumber.CONTENT_FORMAT, ContentFormat.LINK_FORMAT),
        stringOption(OptionNumber.URI_QUERY, `ep=${endpoint}`),
        stringOption(OptionNumber.URI_QUERY, `lt=${o.lifetime ?? 300}`),
        stringOption(OptionNumber.URI_QUERY, 'lwm2m=1.1'),
        stringOption(OptionNumber.URI_QUERY, 'b=U'),
      ],
      payload: utf8Encode(o.links ?? '</1/0>,</3/0>'),
    });
    return new Promise<string>((resolve) => {
      this.waiting.set(mid, resolve);
      this.socket.send(msg, this.serverPort, '127.0.0.1');
    });
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * A LwM2M Server that takes one Register (2.01 at /rd/1) and then goes away
 * without closing anything: every later message to it gets no answer, as when
 * the server's machine lost power.
 */
export class VanishingServer {
  private readonly socket: Socket = createSocket('udp4');
  registered = false;
  /** Messages that arrived after the Register. */
  ignored = 0;
  private wake: () => void = () => {};

  private constructor() {
    this.socket.on('message', (data, rinfo) => {
      const d = decodeMessage(new Uint8Array(data));
      if (!d.ok) return;
      const m = d.message;
      if (this.registered) {
        this.ignored++;
        this.wake();
        return;
      }
      if (m.type !== Type.CON || m.code !== Code.POST) return;
      this.registered = true;
      const ack = encodeMessage({
        type: Type.ACK,
        code: Code.CREATED,
        messageId: m.messageId,
        token: m.token,
        options: [stringOption(OptionNumber.LOCATION_PATH, 'rd'), stringOption(OptionNumber.LOCATION_PATH, '1')],
        payload: new Uint8Array(0),
      });
      this.socket.send(ack, rinfo.port, rinfo.address);
      this.wake();
    });
  }

  static async open(): Promise<VanishingServer> {
    const s = new VanishingServer();
    await new Promise<void>((r) => s.socket.bind(0, '127.0.0.1', r));
    return s;
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): void {
    this.socket.close();
  }
}
