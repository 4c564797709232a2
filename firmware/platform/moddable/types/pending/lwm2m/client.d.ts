// TEMPORARY (remove when firmware/lwm2m/client.ts lands): the client engine
// API that main.ts codes against, as given in the D1 brief. Only
// tsconfig.device.json sees this file (rootDirs); the device build never does.
import type { DatagramTransport, Logger, Random, Timers, WallClock } from '../../../../ports';
import type { RecordStore } from '../store/record-store';

export interface LwM2MClientOptions {
  endpointName: string;
  bootstrapUri: string;
  transport: DatagramTransport;
  timers: Timers;
  wallClock: WallClock;
  random: Random;
  log: Logger;
  store: RecordStore;
  device: { manufacturer: string; modelNumber: string; serialNumber: string; firmwareVersion: string };
}

export declare class LwM2MClient {
  constructor(options: LwM2MClientOptions);
  start(): void;
  stop(): Promise<void>;
  networkChanged(): void;
}
