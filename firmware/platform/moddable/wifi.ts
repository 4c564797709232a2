// Wi-Fi station link: watches the connection and reconnects after a loss.
//
// setup/network (from manifest_net.json) connects before main runs when the
// firmware is built with `ssid=`; it closes its own monitor once it has an
// IP, so nothing reconnects after a later drop. This link keeps a monitor
// open (`new WiFi(undefined, cb)` only listens) and, while the link is down,
// calls WiFi.connect() again with exponential back-off (1 s .. 60 s).
// The password is held only to pass to WiFi.connect(); it is never logged.
import WiFi from 'wifi';
import Net from 'net';
import type { Logger, TimerHandle, Timers } from '../ports';

export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 60000;

export interface WifiLinkOptions {
  ssid: string | undefined;
  password: string | undefined;
  timers: Timers;
  log: Logger;
  /** Called on every transition to "has an IP address". */
  onUp: (ip: string) => void;
  /** Called on every transition to "no IP address". */
  onDown: () => void;
}

export type WifiMessage = 'connect' | 'gotIP' | 'lostIP' | 'disconnect' | 'station_connect' | 'station_disconnect';

export class WifiLink {
  readonly stats = { ups: 0, downs: 0, reconnectAttempts: 0 };
  private up = false;
  private monitor: { close(): void } | undefined;
  private retry: TimerHandle | undefined;
  private backoffMs = RECONNECT_MIN_MS;

  constructor(private readonly options: WifiLinkOptions) {}

  get connected(): boolean {
    return this.up;
  }

  start(): void {
    this.monitor = new WiFi(undefined, (message) => this.onMessage(message as WifiMessage));
    const ip = currentIp();
    if (ip !== undefined) this.markUp(ip);
    else if (this.options.ssid) this.reconnectNow();
    else this.options.log.warn('wifi: no SSID configured (build with ssid=... password=...)');
  }

  stop(): void {
    this.cancelRetry();
    this.monitor?.close();
    this.monitor = undefined;
  }

  /** Exposed for tests and for the firmware's own diagnostics. */
  onMessage(message: WifiMessage): void {
    switch (message) {
      case 'gotIP': {
        const ip = currentIp();
        if (ip !== undefined) this.markUp(ip);
        break;
      }
      case 'lostIP':
      case 'disconnect':
        this.markDown();
        break;
      default:
        break;
    }
  }

  private markUp(ip: string): void {
    this.cancelRetry();
    this.backoffMs = RECONNECT_MIN_MS;
    if (this.up) return;
    this.up = true;
    this.stats.ups++;
    this.options.log.info(`wifi: up, IP ${ip}`);
    this.options.onUp(ip);
  }

  private markDown(): void {
    if (this.up) {
      this.up = false;
      this.stats.downs++;
      this.options.log.warn('wifi: link lost');
      this.options.onDown();
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.retry !== undefined || !this.options.ssid) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    this.retry = this.options.timers.setTimeout(() => {
      this.retry = undefined;
      if (!this.up) {
        this.reconnectNow();
        this.scheduleReconnect();
      }
    }, delay);
  }

  private reconnectNow(): void {
    const { ssid, password } = this.options;
    if (!ssid) return;
    this.stats.reconnectAttempts++;
    this.options.log.info(`wifi: connecting to "${ssid}"`);
    try {
      WiFi.connect(password ? { ssid, password } : { ssid });
    } catch (e) {
      this.options.log.warn(`wifi: connect failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.scheduleReconnect();
  }

  private cancelRetry(): void {
    if (this.retry !== undefined) {
      this.options.timers.clearTimeout(this.retry);
      this.retry = undefined;
    }
  }
}

function currentIp(): string | undefined {
  const ip = Net.get('IP') as string | undefined;
  return typeof ip === 'string' && ip.length > 0 && ip !== '0.0.0.0' ? ip : undefined;
}

/** The station MAC as 12 lowercase hex digits, or undefined before the radio is up. */
export function macHex(): string | undefined {
  const mac = Net.get('MAC') as string | undefined;
  if (typeof mac !== 'string') return undefined;
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  return hex.length === 12 ? hex : undefined;
}
