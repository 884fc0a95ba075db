import "./node-opcua-preload.ts";
import { type Logger, silentLogger } from "@lifeline/contracts";
import {
  AccessLevelFlag,
  AttributeIds,
  BrowseDirection,
  type BrowseResult,
  type ClientSession,
  DataType,
  NodeClass,
  type NodeId,
  type ReferenceDescription,
  resolveNodeId,
} from "node-opcua-client";
import { AdapterError } from "../../adapter-error.ts";
import { openSession } from "./client-session.ts";
import { type OpcuaConnectionInput, opcuaConnectionSchema } from "./config.ts";

export interface BrowseOptions extends OpcuaConnectionInput {
  /** Levels below the start node; 6 reaches most plant models. */
  maxDepth?: number;
  /** Where to start; the Objects folder (i=85) by default. */
  startNodeId?: string;
  /** The Server object (i=2253) holds hundreds of diagnostics variables; skipped unless asked for. */
  includeServerObject?: boolean;
  /** Stop after this many variables, so that a huge server cannot run the probe out of memory. */
  maxVariables?: number;
  /** Print here as well as returning: a table, or one JSON object per line with `json`. */
  out?: { write(text: string): unknown };
  json?: boolean;
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** The name errors carry; "probe" by default. */
  device?: string;
}

/** A variable as a field engineer needs it to write a profile point. */
export interface BrowsedVariable {
  nodeId: string;
  /** Browse names from the start node, each `<namespace index>:<name>` (IEC 62541-4 §A.2). */
  browsePath: string;
  dataType: string;
  /** The AccessLevel bits that matter here (IEC 62541-3 §5.6.2): "read", "write", "history". */
  accessLevel: string;
}

const OBJECTS_FOLDER = "i=85";
const SERVER_OBJECT = resolveNodeId("i=2253").toString();
const HIERARCHICAL_REFERENCES = "i=33";
const HAS_PROPERTY = resolveNodeId("i=46").toString();
const NODES_PER_CALL = 200;

/**
 * Lists the variables of a server by following hierarchical references (IEC 62541-4 §5.8.2)
 * from the Objects folder, then reads their DataType and AccessLevel (§5.10.2). Properties
 * (EURange, EngineeringUnits …) are left out: they describe variables rather than being points.
 */
export async function browseOpcua(options: BrowseOptions): Promise<BrowsedVariable[]> {
  const config = opcuaConnectionSchema.parse({
    endpointUrl: options.endpointUrl,
    securityMode: options.securityMode,
    securityPolicy: options.securityPolicy,
    auth: options.auth,
    pkiDir: options.pkiDir,
    autoAcceptUnknownCertificates: options.autoAcceptUnknownCertificates,
    applicationName: options.applicationName,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  const device = options.device ?? "probe";
  const connection = await openSession(config, {
    device,
    env: options.env ?? process.env,
    log: options.log ?? silentLogger,
  });
  try {
    const found = await walk(connection.session, {
      start: options.startNodeId ?? OBJECTS_FOLDER,
      maxDepth: options.maxDepth ?? 6,
      maxVariables: options.maxVariables ?? 10_000,
      skipServerObject: !(options.includeServerObject ?? false),
    });
    const variables = await describe(connection.session, found);
    if (options.out) print(variables, options.out, options.json ?? false);
    return variables;
  } catch (cause) {
    if (cause instanceof AdapterError) throw cause;
    throw new AdapterError(
      "EDGE_OPCUA_BROWSE_FAILED",
      `browsing ${config.endpointUrl}: ${(cause as Error).message}`,
      { device },
      cause,
    );
  } finally {
    await connection.close();
  }
}

interface Found {
  nodeId: string;
  browsePath: string;
}

interface WalkLimits {
  start: string;
  maxDepth: number;
  maxVariables: number;
  skipServerObject: boolean;
}

async function walk(session: ClientSession, limits: WalkLimits): Promise<Found[]> {
  const variables: Found[] = [];
  const start = resolveNodeId(limits.start).toString();
  const seen = new Set<string>([start]);
  let layer: Found[] = [{ nodeId: start, browsePath: limits.start === OBJECTS_FOLDER ? "Objects" : limits.start }];
  for (let depth = 0; depth < limits.maxDepth && layer.length > 0; depth++) {
    const next: Found[] = [];
    for (let i = 0; i < layer.length; i += NODES_PER_CALL) {
      const parents = layer.slice(i, i + NODES_PER_CALL);
      const results = await browseChildren(session, parents);
      results.forEach((references, k) => {
        const parent = parents[k] as Found;
        for (const ref of references) {
          const nodeId = ref.nodeId.toString();
          if (seen.has(nodeId) || (limits.skipServerObject && nodeId === SERVER_OBJECT)) continue;
          if (ref.nodeClass === NodeClass.Variable && ref.referenceTypeId.toString() === HAS_PROPERTY) continue;
          seen.add(nodeId);
          const child = { nodeId, browsePath: `${parent.browsePath}/${ref.browseName.toString()}` };
          if (ref.nodeClass === NodeClass.Variable && variables.length < limits.maxVariables) variables.push(child);
          next.push(child);
        }
      });
      if (variables.length >= limits.maxVariables) return variables;
    }
    layer = next;
  }
  return variables;
}

/** One Browse call for many nodes, then BrowseNext until every continuation point is used up. */
async function browseChildren(session: ClientSession, parents: Found[]): Promise<ReferenceDescription[][]> {
  const results: BrowseResult[] = await session.browse(
    parents.map((p) => ({
      nodeId: p.nodeId,
      referenceTypeId: HIERARCHICAL_REFERENCES,
      includeSubtypes: true,
      browseDirection: BrowseDirection.Forward,
      nodeClassMask: NodeClass.Object | NodeClass.Variable,
      resultMask: 0x3f,
    })),
  );
  const out: ReferenceDescription[][] = [];
  for (const first of results) {
    const references = [...(first.references ?? [])];
    let result = first;
    while (result.continuationPoint && result.continuationPoint.length > 0) {
      result = await session.browseNext(result.continuationPoint, false);
      references.push(...(result.references ?? []));
    }
    out.push(references);
  }
  return out;
}

async function describe(session: ClientSession, found: Found[]): Promise<BrowsedVariable[]> {
  const out: BrowsedVariable[] = [];
  const typeNames = new Map<string, string>();
  for (let i = 0; i < found.length; i += NODES_PER_CALL) {
    const chunk = found.slice(i, i + NODES_PER_CALL);
    const values = await session.read(
      chunk.flatMap((f) => [
        { nodeId: f.nodeId, attributeId: AttributeIds.DataType },
        { nodeId: f.nodeId, attributeId: AttributeIds.AccessLevel },
      ]),
    );
    const dataTypes = chunk.map((_, k) => values[2 * k]?.value.value as NodeId | null);
    await nameDataTypes(session, dataTypes, typeNames);
    chunk.forEach((f, k) => {
      const dataType = dataTypes[k];
      out.push({
        nodeId: f.nodeId,
        browsePath: f.browsePath,
        dataType: dataType ? (typeNames.get(dataType.toString()) ?? dataType.toString()) : "unknown",
        accessLevel: accessLevelText(values[2 * k + 1]?.value.value as number | null),
      });
    });
  }
  return out;
}

/** Built-in types by their number (IEC 62541-6 §5.1.2), the others by the browse name of their DataType node. */
async function nameDataTypes(session: ClientSession, types: (NodeId | null)[], names: Map<string, string>) {
  const unknown: NodeId[] = [];
  for (const t of types) {
    if (!t || names.has(t.toString())) continue;
    const builtIn = t.namespace === 0 && typeof t.value === "number" ? DataType[t.value] : undefined;
    if (builtIn && t.value !== 0) names.set(t.toString(), builtIn);
    else if (!unknown.some((u) => u.toString() === t.toString())) unknown.push(t);
  }
  if (unknown.length === 0) return;
  const browseNames = await session.read(unknown.map((nodeId) => ({ nodeId, attributeId: AttributeIds.BrowseName })));
  unknown.forEach((t, k) => {
    const name = browseNames[k]?.value.value as { name?: string } | null;
    names.set(t.toString(), name?.name ?? t.toString());
  });
}

function accessLevelText(level: number | null | undefined): string {
  if (typeof level !== "number") return "unknown";
  const parts: string[] = [];
  if (level & AccessLevelFlag.CurrentRead) parts.push("read");
  if (level & AccessLevelFlag.CurrentWrite) parts.push("write");
  if (level & AccessLevelFlag.HistoryRead) parts.push("history");
  return parts.length > 0 ? parts.join(",") : "none";
}

function print(variables: BrowsedVariable[], out: { write(text: string): unknown }, json: boolean): void {
  if (json) {
    for (const v of variables) out.write(`${JSON.stringify(v)}\n`);
    return;
  }
  const rows = [["NODE ID", "DATA TYPE", "ACCESS", "BROWSE PATH"], ...variables.map(row)];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  for (const r of rows) out.write(`${r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell)).join("  ")}\n`);
}

function row(v: BrowsedVariable): string[] {
  return [v.nodeId, v.dataType, v.accessLevel, v.browsePath];
}
