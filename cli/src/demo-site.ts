import type { AgentConfigInput } from "@lifeline/edge-agent";
import {
  dustMonitor,
  pipelineTransmitter,
  type SimulatedDeviceModel,
  SimulatedHj212Logger,
  SimulatedModbusDevice,
  SimulatedSl651Rtu,
} from "@lifeline/simulators";
import { canServeRtsp, type DemoCamera, startDemoCamera } from "./demo-camera.ts";
import { freePort } from "./free-port.ts";

export interface DemoSite {
  site: string;
  gateway: string;
  /** Every simulated device id, for the printout. */
  deviceIds: string[];
  agentConfig(mqttUrl: string): AgentConfigInput;
  /** What the agent's environment must hold besides the process's (the demo camera's password). */
  env: Record<string, string>;
  /** The HJ 212 logger and SL 651 RTU dial in to the agent's receivers: start them after the agent. */
  connectDialIns(): Promise<void>;
  stop(): Promise<void>;
}

const MODBUS_DEVICES: ReadonlyArray<{ id: string; model: SimulatedDeviceModel; seed: number }> = [
  { id: "dust-01", model: dustMonitor, seed: 11 },
  { id: "dust-02", model: dustMonitor, seed: 12 },
  { id: "pipe-pt-01", model: pipelineTransmitter, seed: 21 },
];
const HJ212_MN = "0101390000DEMO0000000003";
const SL651_STATION = "0030700301";

/**
 * A simulated coal-mine site: two dust monitors and a pipeline transmitter on Modbus TCP, a dust
 * monitor's data logger speaking HJ 212 (a reading every 10 s), and a rain/level RTU speaking
 * SL 651 (keep-alives; its hourly report at the top of each hour), and — where GStreamer's RTSP
 * server is installed — an ONVIF pit camera that sees a dust plume for a minute every four.
 */
export async function startDemoSite(
  options: { site?: string; gateway?: string; pollIntervalMs?: number; camera?: boolean } = {},
): Promise<DemoSite> {
  const site = options.site ?? "demo-mine";
  const gateway = options.gateway ?? "gw-01";
  const modbus = MODBUS_DEVICES.map((d) => new SimulatedModbusDevice({ id: d.id, model: d.model, seed: d.seed }));
  for (const d of modbus) await d.start();
  const hj212Port = await freePort("127.0.0.1");
  const sl651Port = await freePort("127.0.0.1");
  const logger = new SimulatedHj212Logger({
    mn: HJ212_MN,
    port: hj212Port,
    host: "127.0.0.1",
    realtimeIntervalMs: 10_000,
    seed: 31,
  });
  const rtu = new SimulatedSl651Rtu({
    station: SL651_STATION,
    port: sl651Port,
    host: "127.0.0.1",
    keepAliveMs: 30_000,
    seed: 41,
  });
  const camera: DemoCamera | undefined =
    options.camera !== false && canServeRtsp() ? await startDemoCamera() : undefined;
  return {
    site,
    gateway,
    deviceIds: [...modbus.map((d) => d.id), "dust-hj212-03", "rain-level-01", ...(camera ? [camera.id] : [])],
    env: camera?.env ?? {},
    agentConfig: (mqttUrl) => ({
      site,
      gateway,
      uplink: { mqtt: { url: mqttUrl } },
      devices: [
        ...modbus.map((d) => ({
          id: d.id,
          type: "modbus" as const,
          connection: { host: "127.0.0.1", port: d.port, unitId: d.unitId },
          pollIntervalMs: options.pollIntervalMs ?? 1_000,
          points: d.model.points.map((p) => ({
            name: p.name,
            metric: p.metric,
            unit: p.unit,
            address: p.address,
            datatype: p.datatype,
            byteOrder: p.byteOrder,
            scale: p.scale,
          })),
        })),
        {
          id: "hj212-rx",
          type: "hj212" as const,
          listen: { host: "127.0.0.1", port: hj212Port },
          stations: [{ mn: HJ212_MN, device: "dust-hj212-03" }],
        },
        {
          id: "sl651-rx",
          type: "sl651" as const,
          listen: { host: "127.0.0.1", port: sl651Port },
          stations: [{ address: SL651_STATION, device: "rain-level-01" }],
        },
        ...(camera ? [camera.config] : []),
      ],
    }),
    async connectDialIns() {
      await logger.start();
      await rtu.start();
    },
    async stop() {
      await Promise.all([logger.stop(), rtu.stop(), ...modbus.map((d) => d.stop()), camera?.stop()]);
    },
  };
}
