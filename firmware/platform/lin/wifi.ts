// `embedded:network/interface/wifi` (ECMA-419 network interface) for the
// Moddable Linux runtime, which has none: a simulated station on the host's
// own network, with the ESP32 implementation's connection values
// (modules/io/wifi/esp32: 200 disconnected, 300 connecting, 400 associated,
// 500 has an IP address) and its onChanged("connection" | "address") calls.
// connect() associates and gets an address a moment later, as a real station
// does, so the firmware's Wi-Fi link code (platform/moddable/wifi) runs on lin
// exactly as on the board. `simLinkDrop=<ms>` in the build drops the link
// once, that long after it came up, and lets it reconnect: the path a board
// takes when its access point goes away. While the file
// <flashDirectory>xs-lwm2m-wifi-off exists the access point is gone (looked
// at every 100 ms): the link drops and connect() finds no network, until the
// test removes the file (host-tests/moddable/lin-faults).
import config from 'mc/config';
import Timer from 'timer';
import Net from 'net';
import { File } from 'file';

type Changed = 'connection' | 'address';

interface WiFiOptions {
  onChanged?: (this: WiFi, property: Changed) => void;
}

const ASSOCIATE_MS = 20;
const DHCP_MS = 20;
const AP_POLL_MS = 100;
const offPath = `${String((config as Record<string, unknown>).flashDirectory ?? '/tmp/')}xs-lwm2m-wifi-off`;

/** The simulated access point is switched off by the test. */
function apGone(): boolean {
  return File.exists(offPath);
}

export default class WiFi {
  private state: 200 | 300 | 400 | 500 = 200;
  private ssid: string | undefined;
  private closed = false;
  private dropArmed: boolean;
  private readonly apPoll: ReturnType<typeof Timer.repeat>;
  private readonly onChanged: ((this: WiFi, property: Changed) => void) | undefined;

  constructor(options: WiFiOptions) {
    this.onChanged = options.onChanged;
    this.dropArmed = Number((config as Record<string, unknown>).simLinkDrop) > 0;
    this.apPoll = Timer.repeat(() => {
      if (this.state > 200 && apGone()) this.move(200);
    }, AP_POLL_MS);
  }

  get connection(): number {
    return this.state;
  }

  get address(): string | undefined {
    if (this.state !== 500) return undefined;
    const ip = Net.get('IP') as string | undefined;
    return typeof ip === 'string' && ip.length > 0 ? ip : '127.0.0.1';
  }

  get MAC(): string | undefined {
    return undefined;
  }

  get SSID(): string | undefined {
    return this.state >= 400 ? this.ssid : undefined;
  }

  get RSSI(): number | undefined {
    return this.state >= 400 ? -50 : undefined;
  }

  connect(options: { SSID: string; password?: string }): void {
    if (this.state === 300) throw new Error('already connecting');
    this.ssid = options.SSID;
    this.move(300);
    Timer.set(() => {
      if (apGone()) {
        this.move(200);
        return;
      } // no access point to associate with
      this.move(400);
      Timer.set(() => this.gotAddress(), DHCP_MS);
    }, ASSOCIATE_MS);
  }

  disconnect(): void {
    this.move(200);
  }

  close(): void {
    this.closed = true;
    Timer.clear(this.apPoll);
  }

  private gotAddress(): void {
    if (this.state !== 400) return;
    this.move(500);
    if (!this.closed) this.onChanged?.call(this, 'address');
    if (this.dropArmed) {
      this.dropArmed = false;
      Timer.set(() => this.move(200), Number((config as Record<string, unknown>).simLinkDrop));
    }
  }

  private move(state: 200 | 300 | 400 | 500): void {
    if (this.state === state) return;
    this.state = state;
    if (!this.closed) this.onChanged?.call(this, 'connection');
  }
}
