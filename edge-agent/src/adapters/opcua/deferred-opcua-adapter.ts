import type { ReadingSink, StreamingAdapter } from "../../adapter.ts";
import type { OpcuaDeviceConfig } from "./config.ts";
import type { OpcuaAdapter, OpcuaAdapterOptions } from "./opcua-adapter.ts";

/**
 * The OPC UA adapter with node-opcua loaded when it starts, not when the agent loads. node-opcua
 * is hundreds of modules (~1–3 s of CPU here, far more on a gateway's ARM core), which an agent
 * with only Modbus, HJ 212 or SL 651 devices, and every `lifeline` command not about OPC UA,
 * would otherwise pay at each start. The agent's registry creates this one; it behaves as
 * {@link OpcuaAdapter} does, which it creates on `start`.
 */
export class DeferredOpcuaAdapter implements StreamingAdapter {
  readonly kind = "streaming";
  readonly id: string;
  readonly #config: OpcuaDeviceConfig;
  readonly #options: OpcuaAdapterOptions;
  #adapter: OpcuaAdapter | undefined;
  #started = false;
  #closed = false;

  constructor(config: OpcuaDeviceConfig, options: OpcuaAdapterOptions = {}) {
    this.#config = config;
    this.#options = options;
    this.id = config.id;
  }

  async start(sink: ReadingSink): Promise<void> {
    if (this.#started) throw new Error(`OPC UA adapter ${this.id} is already started`);
    this.#started = true;
    const { OpcuaAdapter } = await import("./opcua-adapter.ts");
    if (this.#closed) return; // closed while node-opcua loaded: nothing was opened
    this.#adapter = new OpcuaAdapter(this.#config, this.#options);
    await this.#adapter.start(sink);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#adapter?.close();
  }
}
