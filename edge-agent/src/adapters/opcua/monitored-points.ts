import "./node-opcua-preload.ts";
import {
  AttributeIds,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  type DataValue,
  DeadbandType,
  type MonitoringParametersOptions,
  resolveNodeId,
  type StatusCode,
  TimestampsToReturn,
} from "node-opcua-client";
import type { OpcuaDeadband, OpcuaPoint } from "./config.ts";
import type { OpcuaErrorCode } from "./opcua-error-codes.ts";

/** Items per CreateMonitoredItems call: below the MaxMonitoredItemsPerCall of common servers. */
export const MAX_ITEMS_PER_CALL = 500;

/** A point the server would not monitor as asked, and why. */
export interface RefusedPoint {
  point: OpcuaPoint;
  code: OpcuaErrorCode;
  message: string;
  /** The point is monitored anyway, without its deadband; nothing to retry. */
  monitoredWithoutDeadband: boolean;
}

export type ChangeHandler = (point: OpcuaPoint, dataValue: DataValue) => void;

/** Status codes by which a server declines a DataChangeFilter (IEC 62541-4 §7.17.2, Table 179). */
const FILTER_REFUSALS = new Set([
  "BadMonitoredItemFilterUnsupported",
  "BadFilterNotAllowed",
  "BadDeadbandFilterInvalid",
  "BadMonitoredItemFilterInvalid",
]);
const UNKNOWN_NODE = new Set(["BadNodeIdUnknown", "BadNodeIdInvalid", "BadAttributeIdInvalid", "BadNotReadable"]);

/**
 * Creates one monitored item per point (IEC 62541-4 §5.12.2), batched by identical monitoring
 * parameters. The server may refuse single items; those come back as RefusedPoint while the
 * others are live. A refused deadband (typically a percent deadband on a node without an EURange)
 * is reported and the point is monitored again without one, so that its data still flows.
 */
export async function monitorPoints(
  subscription: ClientSubscription,
  points: readonly OpcuaPoint[],
  onChange: ChangeHandler,
): Promise<RefusedPoint[]> {
  const refused: RefusedPoint[] = [];
  const valid: OpcuaPoint[] = [];
  for (const point of points) {
    try {
      resolveNodeId(point.nodeId);
      valid.push(point);
    } catch (error) {
      refused.push(
        refusal(point, "EDGE_OPCUA_BAD_NODE", `${point.nodeId} is not a NodeId: ${(error as Error).message}`),
      );
    }
  }
  const withoutDeadband: OpcuaPoint[] = [];
  for (const batch of batches(valid)) {
    const group = await subscription.monitorItems(
      batch.map((p) => ({ nodeId: p.nodeId, attributeId: AttributeIds.Value })),
      monitoringParameters(batch[0] as OpcuaPoint),
      TimestampsToReturn.Both,
    );
    group.on("changed", (_item, dataValue: DataValue, index: number) => {
      const point = batch[index];
      if (point) onChange(point, dataValue);
    });
    group.monitoredItems.forEach((item, i) => {
      const point = batch[i] as OpcuaPoint;
      if (item.statusCode.isGood()) return;
      const outcome = classify(point, item.statusCode);
      refused.push(outcome);
      if (outcome.monitoredWithoutDeadband) withoutDeadband.push({ ...point, deadband: { type: "none" } });
    });
  }
  if (withoutDeadband.length > 0) refused.push(...(await monitorPoints(subscription, withoutDeadband, onChange)));
  return refused;
}

function classify(point: OpcuaPoint, status: StatusCode): RefusedPoint {
  const name = status.name;
  if (point.deadband.type !== "none" && FILTER_REFUSALS.has(name)) {
    const why = point.deadband.type === "percent" ? " (a percent deadband needs an EURange on the node)" : "";
    return {
      point,
      code: "EDGE_OPCUA_DEADBAND_REFUSED",
      message: `${point.nodeId}: the server refused the ${point.deadband.type} deadband of ${point.deadband.value} with ${status.toString()}${why}; monitoring it without a deadband`,
      monitoredWithoutDeadband: true,
    };
  }
  if (UNKNOWN_NODE.has(name)) {
    return refusal(point, "EDGE_OPCUA_BAD_NODE", `${point.nodeId} cannot be monitored: ${status.toString()}`);
  }
  return refusal(point, "EDGE_OPCUA_MONITOR_FAILED", `${point.nodeId} cannot be monitored: ${status.toString()}`);
}

function refusal(point: OpcuaPoint, code: OpcuaErrorCode, message: string): RefusedPoint {
  return { point, code, message, monitoredWithoutDeadband: false };
}

/** Points with equal monitoring parameters, at most MAX_ITEMS_PER_CALL at a time, in profile order. */
function batches(points: readonly OpcuaPoint[]): OpcuaPoint[][] {
  const byParameters = new Map<string, OpcuaPoint[]>();
  for (const p of points) {
    const key = JSON.stringify([p.samplingIntervalMs, p.queueSize, p.discardOldest, p.deadband]);
    const list = byParameters.get(key) ?? [];
    list.push(p);
    byParameters.set(key, list);
  }
  const out: OpcuaPoint[][] = [];
  for (const list of byParameters.values()) {
    for (let i = 0; i < list.length; i += MAX_ITEMS_PER_CALL) out.push(list.slice(i, i + MAX_ITEMS_PER_CALL));
  }
  return out;
}

/** MonitoringParameters, IEC 62541-4 §7.16. */
function monitoringParameters(point: OpcuaPoint): MonitoringParametersOptions {
  return {
    samplingInterval: point.samplingIntervalMs,
    queueSize: point.queueSize,
    discardOldest: point.discardOldest,
    filter: dataChangeFilter(point.deadband),
  };
}

/** DataChangeFilter, IEC 62541-4 §7.17.2: report on a change of status or value beyond the deadband. */
function dataChangeFilter(deadband: OpcuaDeadband): DataChangeFilter | null {
  if (deadband.type === "none") return null;
  return new DataChangeFilter({
    trigger: DataChangeTrigger.StatusValue,
    deadbandType: deadband.type === "absolute" ? DeadbandType.Absolute : DeadbandType.Percent,
    deadbandValue: deadband.value,
  });
}
