// The Moddable `timer` module as implemented (modules/base/timer/modTimer.c),
// not as npm @moddable/typings declares it: the id returned by set() is a host
// object (not a number) and the third argument of set() is a repeat interval
// in milliseconds (not a boolean). Plain type module; timers.ts casts once.

/** Opaque host object identifying one scheduled timer. */
export interface HostTimerId {
  readonly __hostTimer?: never;
}

export interface TimerModule {
  /** One-shot after `ms` milliseconds; with `repeatMs`, then every `repeatMs`. */
  set(callback: (id: HostTimerId) => void, ms?: number, repeatMs?: number): HostTimerId;
  repeat(callback: (id: HostTimerId) => void, ms: number): HostTimerId;
  /** Cancels a timer; accepts undefined. */
  clear(id: HostTimerId | undefined): void;
}
