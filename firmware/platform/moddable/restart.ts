// The device's restart for Reboot (/3/0/4) and Factory Reset (/3/0/5)
// (DeviceInfo.reboot): ota-boot's restart() — esp_restart() on an ESP32
// (esp32/ota-boot.c), on the Linux runtime the exit with the restart status
// that the harness, standing in for the bootloader, answers by starting the
// firmware again (lin/ota-boot.ts). ota-boot is in every build, with or
// without Firmware Update. The client calls this once the 2.04 is handed to
// the network stack; the reset waits as an Update's does, so that the 2.04
// is not lost in lwIP's queue.
import * as OtaBoot from 'ota-boot';
import type { Logger, Timers } from '../ports';
import { RESTART_DELAY_MS } from './firmware-slot';

export function platformRestart(timers: Timers, log: Logger): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    log.info(`device: restarting in ${RESTART_DELAY_MS} ms`);
    timers.setTimeout(() => OtaBoot.restart(), RESTART_DELAY_MS);
  };
}
