// Optional status LED on a plain GPIO (board manifest `statusLedPin`, -1 = none):
// on while the client has a network, off otherwise. Boards whose only LED is
// an addressable RGB (WS2812 on ESP32-C3/-S3 DevKits) default to -1.
import Digital from 'embedded:io/digital';

export class StatusLed {
  private pin: Digital | undefined;
  private readonly onLevel: 0 | 1;

  constructor(gpio: number, activeLow = false) {
    this.onLevel = activeLow ? 0 : 1;
    if (Number.isInteger(gpio) && gpio >= 0) {
      this.pin = new Digital({ pin: gpio, mode: Digital.Output });
      this.set(false);
    }
  }

  set(on: boolean): void {
    this.pin?.write(on ? this.onLevel : this.onLevel === 1 ? 0 : 1);
  }

  close(): void {
    this.pin?.close();
    this.pin = undefined;
  }
}
