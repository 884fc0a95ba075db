import type { SimulatedDeviceModel } from "./device-models.ts";
import { dustMonitor, gasDetector, heatMeter, pipelineTransmitter, radarLevelGauge } from "./device-models.ts";
import { SimulatedHj212Logger } from "./hj212/simulated-hj212-logger.ts";
import type { SimulatedOpcuaSubstation } from "./opcua/simulated-opcua-substation.ts";
import { SimulatedModbusDevice } from "./simulated-modbus-device.ts";
import { SimulatedSl651Rtu } from "./sl651/simulated-sl651-rtu.ts";

/** The four reference gateway profiles in firmware-profiles/sites/, by their `site.kind`. */
export type ReferenceSiteKind = "coal-mine" | "flood-station" | "heating-substation" | "pipeline";

export const REFERENCE_SITE_KINDS: readonly ReferenceSiteKind[] = [
  "coal-mine",
  "flood-station",
  "heating-substation",
  "pipeline",
];

export interface ReferenceSiteOptions {
  /** Where the Modbus and OPC UA devices listen and the loggers and RTUs connect; default 127.0.0.1. */
  host?: string;
  seed?: number;
  /** HJ 212 real-time data (2011) interval of the coal mine's loggers; default 30 s, as in the field. */
  hj212RealtimeIntervalMs?: number;
  /** SL 651 RTUs send the last hour's report when they start (tests); default false. */
  sl651ReportAtStart?: boolean;
  /** Reconnection of loggers and RTUs whose receiver is not up yet; default 1 s doubling to 60 s. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** The heating substation's OPC UA server; required for that site. */
  opcua?: { pkiDir: string; password: string; acceptUnknownClients?: boolean };
}

export interface ReferenceSite {
  kind: ReferenceSiteKind;
  /** What runs, e.g. "modbus dust-01 127.0.0.1:15021 unit 1", for logs. */
  simulators: readonly string[];
  stop(): Promise<void>;
}

interface Peer {
  label: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The site's heat meter counts energy in MWh (its display setting; the profile scales ×1000 to
 * kWh): the same meter with the energy register in MWh.
 */
const heatMeterMwh: SimulatedDeviceModel = {
  ...heatMeter,
  description: `${heatMeter.description}; energy in MWh`,
  points: heatMeter.points.map((p) =>
    p.metric === "energy" ? { ...p, unit: "MWh", signal: (t, r) => Math.floor(p.signal(t, r) / 1000) } : p,
  ),
};

/**
 * Starts every simulator one reference site needs, on the 127.0.0.1 ports its profile uses
 * (firmware-profiles/README.md, "Reference sites"). Devices that are servers (Modbus, OPC UA) are
 * listening when this resolves; loggers and RTUs are clients that keep reconnecting until the
 * gateway's receiver is up.
 */
export async function startReferenceSite(
  kind: ReferenceSiteKind,
  options: ReferenceSiteOptions = {},
): Promise<ReferenceSite> {
  const peers = sitePeers(kind, options);
  const started: Peer[] = [];
  try {
    for (const peer of peers) {
      await peer.start();
      started.push(peer);
    }
  } catch (error) {
    for (const peer of started.reverse()) await peer.stop().catch(() => undefined);
    throw error;
  }
  return {
    kind,
    simulators: peers.map((p) => p.label),
    async stop() {
      for (const peer of started.reverse()) await peer.stop().catch(() => undefined);
      started.length = 0;
    },
  };
}

function sitePeers(kind: ReferenceSiteKind, options: ReferenceSiteOptions): Peer[] {
  const host = options.host ?? "127.0.0.1";
  const seed = options.seed ?? 1;
  const modbus = (id: string, model: SimulatedDeviceModel, port: number, unitId: number, n: number): Peer => {
    const device = new SimulatedModbusDevice({ id, model, port, host, unitId, seed: seed + n });
    return {
      label: `modbus ${id} (${model.kind}) ${host}:${port} unit ${unitId}`,
      start: () => device.start(),
      stop: () => device.stop(),
    };
  };
  switch (kind) {
    case "coal-mine":
      return [
        modbus("dust-01", dustMonitor, 15021, 1, 0),
        modbus("dust-02", dustMonitor, 15022, 1, 1),
        modbus("gas-01", gasDetector, 15023, 2, 2),
        hj212Logger("0101390000DUST0000000003", 3, options),
        hj212Logger("0101390000DUST0000000004", 4, options),
      ];
    case "flood-station":
      return [
        modbus("radar-01", radarLevelGauge, 15031, 3, 0),
        sl651Rtu("0030745815", 1, options),
        sl651Rtu("0030700300", 2, options),
      ];
    case "heating-substation":
      return [opcuaSubstation(options), modbus("heat-meter-0412", heatMeterMwh, 15041, 7, 0)];
    case "pipeline":
      return [
        modbus("pipe-pt-01", pipelineTransmitter, 15051, 1, 0),
        modbus("pipe-pt-02", pipelineTransmitter, 15052, 1, 1),
        modbus("gas-vc-01", gasDetector, 15053, 2, 2),
      ];
  }
}

/** A stockyard dust monitor's logger pushing HJ 212 to the gateway's receiver on 19212. */
function hj212Logger(mn: string, n: number, options: ReferenceSiteOptions): Peer {
  const host = options.host ?? "127.0.0.1";
  const logger = new SimulatedHj212Logger({
    mn,
    port: 19212,
    host,
    password: "123456",
    seed: (options.seed ?? 1) + n,
    ...(options.hj212RealtimeIntervalMs === undefined ? {} : { realtimeIntervalMs: options.hj212RealtimeIntervalMs }),
    ...(options.reconnect === undefined ? {} : { reconnect: options.reconnect }),
  });
  return { label: `hj212 logger ${mn} → ${host}:19212`, start: () => logger.start(), stop: () => logger.stop() };
}

/** A rain-gauge / river-gauge RTU reporting SL 651 to the gateway's receiver on 15651. */
function sl651Rtu(station: string, n: number, options: ReferenceSiteOptions): Peer {
  const host = options.host ?? "127.0.0.1";
  const rtu = new SimulatedSl651Rtu({
    station,
    port: 15651,
    host,
    password: "1234",
    seed: (options.seed ?? 1) + n,
    reportAtStart: options.sl651ReportAtStart ?? false,
    ...(options.reconnect === undefined ? {} : { reconnect: options.reconnect }),
  });
  return { label: `sl651 rtu ${station} → ${host}:15651`, start: () => rtu.start(), stop: () => rtu.stop() };
}

/**
 * Substation 0412's controller: opc.tcp://127.0.0.1:14840, user `operator`. node-opcua loads when
 * the substation starts, not with this package: it is hundreds of modules (~1–3 s of CPU), which
 * the other sites, and every importer of the simulators, need not pay.
 */
function opcuaSubstation(options: ReferenceSiteOptions): Peer {
  const opcua = options.opcua;
  if (opcua === undefined) {
    throw new Error("startReferenceSite(heating-substation): options.opcua { pkiDir, password } is required");
  }
  const host = options.host ?? "127.0.0.1";
  let server: SimulatedOpcuaSubstation | undefined;
  return {
    label: `opcua HS01 opc.tcp://${host}:14840`,
    start: async () => {
      const { SimulatedOpcuaSubstation } = await import("./opcua/simulated-opcua-substation.ts");
      server = new SimulatedOpcuaSubstation({
        port: 14840,
        host,
        pkiDir: opcua.pkiDir,
        users: { operator: opcua.password },
        acceptUnknownClients: opcua.acceptUnknownClients ?? false,
        seed: options.seed ?? 1,
      });
      await server.start();
    },
    stop: async () => {
      await server?.stop();
    },
  };
}
