import type { Reading } from "@lifeline/contracts";
import type { AdapterError } from "./adapter-error.ts";

/** Where an adapter puts what it read. It never sees the journal or the uplink. */
export interface ReadingSink {
  /** Readings of one device from one gather, each with its source timestamp. */
  readings(device: string, readings: Reading[]): void;
  /** A failure naming the device (and point where there is one); the other devices go on. */
  error(error: AdapterError): void;
}

/** An adapter for devices that are asked (Modbus): the scheduler calls `gather` each interval. */
export interface PolledAdapter {
  readonly kind: "polled";
  readonly device: string;
  readonly intervalMs: number;
  gather(sink: ReadingSink): Promise<void>;
  close(): Promise<void>;
}

/**
 * An adapter for devices that speak when they like: an OPC UA subscription, or a receiver that
 * HJ 212 monitors and SL 651 RTUs connect to. One streaming adapter may serve many devices (a
 * receiver maps each station's address to a device id), so it is named by its own `id`.
 * `start` resolves once the adapter is listening or subscribed; failures after that go to the sink.
 */
export interface StreamingAdapter {
  readonly kind: "streaming";
  readonly id: string;
  start(sink: ReadingSink): Promise<void>;
  close(): Promise<void>;
}

export type Adapter = PolledAdapter | StreamingAdapter;

/** Injected time, so that tests can control source timestamps. */
export type Clock = () => number;
