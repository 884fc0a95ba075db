import type { AgentConfigInput } from "@lifeline/edge-agent";
import {
  dustMonitor,
  pipelineTransmitter,
  type SimulatedDeviceModel,
  SimulatedModbusDevice,
} from "@lifeline/simulators";

export interface DemoSite {
  site: string;
  gateway: string;
  devices: SimulatedModbusDevice[];
  agentConfig(mqttUrl: string): AgentConfigInput;
  stop(): Promise<void>;
}

const DEVICES: ReadonlyArray<{ id: string; model: SimulatedDeviceModel; seed: number }> = [
  { id: "dust-01", model: dustMonitor, seed: 11 },
  { id: "dust-02", model: dustMonitor, seed: 12 },
  { id: "pipe-pt-01", model: pipelineTransmitter, seed: 21 },
];

/** A simulated coal-mine site: two dust monitors and a pipeline transmitter on Modbus TCP. */
export async function startDemoSite(options: { site?: string; gateway?: string; pollIntervalMs?: number } = {}) {
  const site = options.site ?? "demo-mine";
  const gateway = options.gateway ?? "gw-01";
  const devices = DEVICES.map((d) => new SimulatedModbusDevice({ id: d.id, model: d.model, seed: d.seed }));
  for (const d of devices) await d.start();
  const demo: DemoSite = {
    site,
    gateway,
    devices,
    agentConfig: (mqttUrl) => ({
      site,
      gateway,
      uplink: { mqtt: { url: mqttUrl } },
      devices: devices.map((d) => ({
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
    }),
    async stop() {
      await Promise.all(devices.map((d) => d.stop()));
    },
  };
  return demo;
}
