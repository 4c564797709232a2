// Wi-Fi station link over the ECMA-419 network interface
// (`embedded:network/interface/wifi`, what SDK 8.2 builds into ESP32
// firmware): watches the connection and reconnects after a loss.
//
// setup/network (from manifest_net.json) connects before main runs when the
// firmware is built with `ssid=`, then closes its own interface object, so
// nothing reconnects after a later drop. This link keeps an interface object
// open and, while the link is down, calls connect() again with exponential
// back-off (1 s .. 60 s). The password is held only to pass to connect(); it
// is never logged.
import WiFiModule from 'embedded:network/interface/wifi';
import type { Logger, TimerHandle, Timers } from '../ports';
import type { WiFiConstructor, WiFiStation } from './types/wifi';

const WiFi = WiFiModule as unknown as WiFiConstructor;

export const RECONNECT_MIN_MS = 1000;
export const RECONNECT_MAX_MS = 60000;

/** `connection` values of the SDK's implementations (modules/io/wifi/esp32). */
export const CONNECTION_DISCONNECTED = 200;
export const CONNECTION_ASSOCIATED = 400;

export interface WifiLinkOptions {
  ssid: string | undefined;
  password: string | undefined;
  timers: Timers;
  log: Logger;
  /** Called on every transition to "has an IPv4 address". */
  onUp: (ip: string) => void;
  /** Called on every transition to "no IPv4 address". */
  onDown: () => void;
}

export class WifiLink {
  readonly stats = { ups: 0, downs: 0, reconnectAttempts: 0 };
  private up = false;
  private station: WiFiStation | undefined;
  private retry: TimerHandle | undefined;
  private backoffMs = RECONNECT_MIN_MS;

  constructor(private readonly options: WifiLinkOptions) {}

  get connected(): boolean {
    return this.up;
  }

  /** The station MAC as 12 lowercase hex digits, or undefined before the radio is up. */
  get macHex(): string | undefined {
    return macHex(this.station?.MAC);
  }

  start(): void {
    const link = this;
    this.station = new WiFi({
      onChanged() {
        link.update();
      },
    });
    this.update();
    if (!this.up) {
      if (this.options.ssid) this.reconnectNow();
      else this.options.log.warn('wifi: no SSID configured (build with ssid=... password=...)');
    }
  }

  stop(): void {
    this.cancelRetry();
    this.station?.close();
    this.station = undefined;
  }

  /** Reads the interface's state after it reported a change (also run once at start). */
  update(): void {
    const station = this.station;
    if (station === undefined) return;
    const ip = ipv4(station.address);
    if (station.connection >= CONNECTION_ASSOCIATED && ip !== undefined) this.markUp(ip);
    else if (station.connection <= CONNECTION_DISCONNECTED) this.markDown();
    // 300 (connecting) and 400 without an IPv4 address: wait for the next change.
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
    const station = this.station;
    if (!ssid || station === undefined) return;
    if (station.connection > CONNECTION_DISCONNECTED) return; // already connecting or associated
    this.stats.reconnectAttempts++;
    this.options.log.info(`wifi: connecting to "${ssid}"`);
    try {
      station.connect(password ? { SSID: ssid, password } : { SSID: ssid });
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

/** An IPv4 dotted quad (the lwIP UDP socket of this build takes IPv4 only), else undefined. */
export function ipv4(address: string | undefined): string | undefined {
  return typeof address === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(address) && address !== '0.0.0.0' ? address : undefined;
}

/** "aa:bb:cc:dd:ee:ff" → "aabbccddeeff"; undefined unless it is a whole MAC. */
export function macHex(mac: string | undefined): string | undefined {
  if (typeof mac !== 'string') return undefined;
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  return hex.length === 12 ? hex : undefined;
}
