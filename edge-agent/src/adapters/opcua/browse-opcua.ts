import type { BrowsedVariable, BrowseOptions } from "./browse.ts";

/**
 * browse.ts's `browseOpcua`, with node-opcua loaded on the call rather than with
 * the agent's entry point (see deferred-opcua-adapter.ts): `lifeline probe modbus` need not load it.
 */
export async function browseOpcua(options: BrowseOptions): Promise<BrowsedVariable[]> {
  const browse = await import("./browse.ts");
  return browse.browseOpcua(options);
}
