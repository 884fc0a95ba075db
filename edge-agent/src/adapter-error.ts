import { LifelineError } from "@lifeline/contracts";

/** `EDGE_<PROTOCOL>_<FAILURE>`, e.g. `EDGE_MODBUS_TIMEOUT`, `EDGE_HJ212_BAD_CRC`; each adapter's README lists its own. */
export type AdapterErrorCode = `EDGE_${string}`;

/** A device or point that could not be read, named so a field engineer can find it. */
export class AdapterError extends LifelineError {
  declare readonly code: AdapterErrorCode;
  readonly device: string;
  readonly point: string | undefined;

  constructor(
    code: AdapterErrorCode,
    message: string,
    where: { device: string; point?: string | undefined },
    cause?: unknown,
  ) {
    const at = where.point === undefined ? `device ${where.device}` : `device ${where.device}, point ${where.point}`;
    super(code, `${at}: ${message}`, { cause, detail: { device: where.device, point: where.point } });
    this.device = where.device;
    this.point = where.point;
  }
}
