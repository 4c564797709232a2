// Firmware orchestration: mount the object store → Wi-Fi up → start the
// LwM2M client; on Wi-Fi loss keep the client and its state, and tell it
// the network changed once the link is back. The status LED is on while the
// client is registered and the link is up.
//
// The client and the store are passed in (main.ts) so this file depends only
// on their shape, not on their modules.
//
// coaps: the client always gets the DTLS crypto port (a Bootstrap-Server may
// hand out coaps:// server accounts whatever its own scheme); a coaps://
// bootstrap URI also needs pskIdentity= and pskKey=, and without a usable
// pair the client is not started (a clear line at every boot, no key in it).
// The same for any bootstrap configuration the client could never use (a
// malformed URI, another scheme, a host name that does not resolve, no
// endpoint name): a client that cannot reach its Bootstrap-Server would only
// idle, so it is not started and one error line says why.
//
// Firmware Update (/5): at boot, before anything else, the firmware-image port
// reads how this boot came about (trial, rolled back) and the running image's
// version, which is /3/0/3 (the build's firmwareVersion= only when the image
// has no header: the factory firmware on lin). Without an update partition
// the client runs without /5 (one line says why).
import type { Flash, Logger, Random, Timers, WallClock, DatagramTransport } from '../ports';
import type { DtlsCrypto } from '../../dtls/crypto';
import type { ObjectSpec } from '../../lwm2m/objects/object-api';
import type { ImageFormat } from '../../lwm2m/firmware-update/image';
import { ModdableUdpTransport, errorText } from './udp-transport';
import { ModdableTimers } from './timers';
import { ModdableFlash } from './flash';
import { hardwareRandom } from './random';
import { systemClock } from './clock';
import { createTraceLogger } from './log';
import { WifiLink } from './wifi';
import { StatusLed } from './status-led';
import { resolveHost } from './dns';
import { moddableCrypto, sha256Stream } from './crypto';
import { openDeviceFirmware, type DeviceFirmware } from './firmware-slot';
import { platformRestart } from './restart';
import { openDeviceSleep, type DeviceSleep } from './deep-sleep-port';
import {
  DEVICE_COAP_BOUNDS,
  bootstrapHostName,
  checkBootstrapSecurity,
  checkBootstrapUri,
  describeSettings,
  readDeviceSettings,
} from './device-config';
import type { BootstrapPsk, DeviceIdentity, DeviceSettings } from './device-config';

/** What the firmware needs from the client engine (firmware/lwm2m/engine/client). */
export interface DeviceClient {
  start(): void;
  stop(): Promise<void>;
  networkChanged(): void;
}

/** The part of the client's events the firmware looks at (LED, boot log). */
export interface DeviceClientEvent {
  type: string;
  state?: string;
}

export interface DeviceClientOptions<S> {
  endpointName: string;
  bootstrapUri: string;
  /** The PSK of a coaps:// bootstrap URI (undefined for coap://): for the factory Bootstrap-Server Account only, never logged. */
  bootstrapPsk: BootstrapPsk | undefined;
  transport: DatagramTransport;
  /** DTLS primitives for coaps:// accounts (the SDK's crypt C code). */
  dtlsCrypto: DtlsCrypto;
  timers: Timers;
  wallClock: WallClock;
  random: Random;
  log: Logger;
  store: S;
  device: DeviceIdentity;
  resolveHost: (host: string) => Promise<string | undefined>;
  onEvent: (e: DeviceClientEvent) => void;
  /** The CoAP endpoint's bounds on the device (DEVICE_COAP_BOUNDS). */
  coapBounds: typeof DEVICE_COAP_BOUNDS;
  /** Firmware Update (/5): the image slot, format and hash; undefined: no /5. */
  firmware: Omit<DeviceFirmware, 'version'> | undefined;
  /** The application's objects (ClientOptions.objects). */
  objects: ReadonlyArray<number | ObjectSpec>;
  /** The platform's restart, for Reboot and Factory Reset (DeviceInfo.reboot). */
  reboot: () => void;
  /** Queue Mode (queueMode=1): the window, the deep sleep, the retained memory (ClientOptions.queueMode). */
  queueMode: { awakeMs: number | undefined; power: DeviceSleep['power']; retained: DeviceSleep['retained'] } | undefined;
}

/** What the application brings: its objects, served beside the client's own. */
export interface DeviceApplication {
  objects?: ReadonlyArray<number | ObjectSpec>;
}

export interface DeviceDeps<S> {
  mountStore(flash: Flash, log: Logger): S;
  createClient(options: DeviceClientOptions<S>): DeviceClient;
  /** The image format of `firmwareImage=` (boards/*: an ESP32 chip, or host), or why it is unknown. */
  imageFormat(kind: string): ImageFormat | string;
}

export interface DeviceApp {
  readonly settings: DeviceSettings;
  readonly wifi: WifiLink;
  client(): DeviceClient | undefined;
}

export function startDevice<S>(
  config: Readonly<Record<string, unknown>>,
  deps: DeviceDeps<S>,
  app: DeviceApplication = {},
): DeviceApp | undefined {
  // The MAC (default endpoint name and serial number) is known once the station is up.
  let settings = readDeviceSettings(config, undefined);
  const log = createTraceLogger(settings.logLevel);
  log.info(`boot: ${describeSettings(settings)}`);
  const uriProblem = checkBootstrapUri(settings.bootstrapUri);
  if (uriProblem !== undefined) {
    // A client that can never reach its Bootstrap-Server would only idle: stop, and say why.
    log.error(`boot: bootstrap=${settings.bootstrapUri}: ${uriProblem}; the LwM2M client is not started`);
    return undefined;
  }
  const security = checkBootstrapSecurity(settings);
  if (security?.refuse) {
    log.error(`boot: ${security.message}; the LwM2M client is not started`);
    return undefined;
  }
  if (security !== undefined) log.warn(`boot: ${security.message}`);

  const timers = new ModdableTimers(log);
  const led = new StatusLed(settings.statusLedPin, settings.statusLedActiveLow);

  const firmware = openFirmware(settings.firmwareImage, deps, timers, log);

  let store: S;
  try {
    store = deps.mountStore(new ModdableFlash(settings.partition), log);
  } catch (e) {
    // Missing partition (wrong PARTITIONS_FILE) or a flash fault: nothing sane to run without state.
    log.error(`store: cannot mount partition "${settings.partition}": ${errorText(e)}`);
    return undefined;
  }

  // Queue Mode: how this boot came about, and what a deep sleep kept (read once, now).
  const sleep = settings.queueMode ? openDeviceSleep(settings, hardwareRandom, log) : undefined;

  let client: DeviceClient | undefined;
  /** Set once the client cannot start (bad configuration): later links coming up change nothing. */
  let refused = false;
  /** A start is under way (the bootstrap host being resolved). */
  let starting = false;
  /** The client's last state was 'registered' (the LED shows it while the link is up). */
  let registered = false;
  const wifi = new WifiLink({
    ssid: settings.ssid,
    password: settings.password,
    timers,
    log,
    onUp: () => {
      if (client !== undefined) {
        led.set(registered);
        client.networkChanged();
        return;
      }
      if (refused || starting) return;
      settings = readDeviceSettings(config, wifi.macHex);
      if (settings.endpointName === undefined) {
        // No endpoint= and no MAC to derive urn:dev:mac:… from (the Linux runtime has none): a name made up
        // at each boot would be a new device to the servers every time.
        refused = true;
        log.error(
          'boot: no endpoint= and no MAC address to derive urn:dev:mac:<mac> from: build with endpoint=<name>; the LwM2M client is not started',
        );
        return;
      }
      const endpointName = settings.endpointName;
      starting = true;
      void resolvable(settings.bootstrapUri, timers).then((problem) => {
        starting = false;
        if (problem !== undefined) {
          refused = true;
          log.error(`boot: bootstrap=${settings.bootstrapUri}: ${problem}; the LwM2M client is not started`);
          return;
        }
        startClient(endpointName);
      });
    },
    onDown: () => led.set(false),
  });

  function startClient(endpointName: string): void {
    try {
      client = deps.createClient({
        endpointName,
        bootstrapUri: settings.bootstrapUri,
        bootstrapPsk: settings.bootstrapUri.startsWith('coaps://') ? settings.bootstrapPsk : undefined,
        transport: new ModdableUdpTransport({ port: sleep?.localPort ?? settings.localPort, log }),
        dtlsCrypto: moddableCrypto,
        timers,
        wallClock: systemClock,
        random: hardwareRandom,
        log,
        store,
        device: firmware?.version === undefined ? settings.device : { ...settings.device, firmwareVersion: firmware.version },
        firmware: firmware === undefined ? undefined : { slot: firmware.slot, format: firmware.format, sha256: firmware.sha256 },
        resolveHost,
        coapBounds: DEVICE_COAP_BOUNDS,
        objects: app.objects ?? [],
        reboot: platformRestart(timers, log),
        queueMode: sleep && {
          awakeMs: settings.awakeSeconds === undefined ? undefined : settings.awakeSeconds * 1000,
          power: sleep.power,
          retained: sleep.retained,
        },
        onEvent: (e) => {
          if (e.type === 'state') {
            log.info(`client: state ${e.state ?? '?'}`);
            registered = e.state === 'registered';
            led.set(registered && wifi.connected);
          }
        },
      });
      log.info(`client: starting as ${endpointName}`);
      client.start();
    } catch (e) {
      log.error(`client: start failed: ${errorText(e)}`);
    }
  }
  wifi.start();
  return {
    get settings() {
      return settings;
    },
    wifi,
    client: () => client,
  };
}

/** The firmware-image port of this build, or undefined (told why) when it takes no updates. */
function openFirmware<S>(kind: string | undefined, deps: DeviceDeps<S>, timers: ModdableTimers, log: Logger): DeviceFirmware | undefined {
  if (kind === undefined) {
    log.info('firmware: no firmwareImage= in this build; no Firmware Update (/5)');
    return undefined;
  }
  const format = deps.imageFormat(kind);
  const fw = typeof format === 'string' ? format : openDeviceFirmware(format, sha256Stream, timers, log);
  if (typeof fw === 'string') {
    log.warn(`firmware: no Firmware Update (/5): ${fw}`);
    return undefined;
  }
  log.info(
    `firmware: running ${fw.version ?? '(factory)'}, boot ${fw.slot.boot}, update partition ${fw.slot.capacity} bytes, ${fw.format.name}s`,
  );
  return fw;
}

/** Look-ups of the bootstrap host at boot: DNS may not answer in the first seconds after the link comes up. */
const RESOLVE_TRIES = 3;
const RESOLVE_PAUSE_MS = 2000;

/** Why the bootstrap URI's host cannot be reached by name (undefined: an IPv4 literal, or it resolves). */
async function resolvable(uri: string, timers: Timers): Promise<string | undefined> {
  const host = bootstrapHostName(uri);
  if (host === undefined) return undefined;
  for (let i = 0; i < RESOLVE_TRIES; i++) {
    if (i > 0) await new Promise<void>((r) => timers.setTimeout(r, RESOLVE_PAUSE_MS));
    if ((await resolveHost(host)) !== undefined) return undefined;
  }
  return `the host "${host}" cannot be resolved (${RESOLVE_TRIES} look-ups)`;
}
