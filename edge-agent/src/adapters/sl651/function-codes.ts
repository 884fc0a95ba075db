/**
 * Function codes of SL 651-2014 appendix B, table B.1, as the centre receives them. 2F..36 are
 * sent by the station on its own; 37..51 answer a query or command of the centre (M4), and a few
 * (41, 43, 4C..4E) may also be sent on the station's own initiative.
 */
export const FUNCTION_NAMES: Readonly<Record<number, string>> = {
  47: "keep-alive",
  48: "test report",
  49: "evenly-timed report",
  50: "timed report",
  51: "add report",
  52: "hourly report",
  53: "manual report",
  54: "image report",
  55: "real-time data reply",
  56: "period data reply",
  57: "manual data reply",
  58: "element data reply",
  64: "basic configuration change reply",
  65: "basic configuration reply",
  66: "runtime parameters change reply",
  67: "runtime parameters reply",
  68: "pump motor data reply",
  69: "software version reply",
  70: "status and alarm reply",
  71: "storage initialisation reply",
  72: "factory reset reply",
  73: "password change reply",
  74: "clock set reply",
  75: "IC card state reply",
  76: "pump switch reply",
  77: "valve switch reply",
  78: "gate switch reply",
  79: "water quota reply",
  80: "event log reply",
  81: "clock reply",
};

export const KEEP_ALIVE = 0x2f;

/**
 * Bodies laid out as serial, send time, then identifier/data-definition elements: the reports
 * (§6.6.4.3..§6.6.4.9) and the replies to the data queries 37, 38 and 3A.
 */
export function carriesElements(functionCode: number): boolean {
  return (functionCode >= 0x30 && functionCode <= 0x38) || functionCode === 0x3a;
}

/**
 * Reports the station sends on its own (30..36) are confirmed with a downlink frame of the same
 * function code and serial number (transfer modes M2/M3, §6.3). The keep-alive (2F, §6.6.4.2) is
 * not answered; replies to the centre's own queries (37..51) close an exchange the centre began.
 */
export function needsConfirmation(functionCode: number): boolean {
  return functionCode >= 0x30 && functionCode <= 0x36;
}

export function functionName(functionCode: number): string {
  return FUNCTION_NAMES[functionCode] ?? "unknown function";
}

export function isKnownFunction(functionCode: number): boolean {
  return FUNCTION_NAMES[functionCode] !== undefined;
}
