import { createRequire, Module } from "node:module";

/**
 * Import this before node-opcua loads (each module here that loads node-opcua imports it first).
 *
 * When node-opcua-secure-channel (2.182) loads on Node 20 or 21 it checks whether RSA PKCS#1 v1.5
 * decryption still works there (CVE-2023-46809) by generating a 4096-bit RSA key: 1.5–4 s of CPU at
 * every start of every process that loads node-opcua — the agent, `lifeline probe opcua`, even
 * `lifeline pki approve` — which cannot exit before the key is made. Its only outcome is warning W27,
 * which concerns the deprecated Basic128Rsa15 policy alone: Lifeline does not offer it (contracts'
 * `SECURITY_POLICIES`), and opcua-logs.ts drops that warning. So the module holding the check is
 * put in CommonJS's module cache, empty, before node-opcua requires it.
 *
 * The check's file is found from node-opcua-client's place in node_modules (a direct dependency of
 * it, and of node-opcua's server). A version without that file leaves nothing to stub: it loads as
 * it would.
 */
function stubRsaProbe(): string | undefined {
  const fromHere = createRequire(import.meta.url);
  let file: string;
  try {
    const fromOpcua = createRequire(fromHere.resolve("node-opcua-client"));
    file = fromOpcua.resolve("node-opcua-secure-channel/dist/source/verify_pcks1.js");
  } catch {
    return undefined;
  }
  if (fromHere.cache[file] === undefined) {
    const stub = new Module(file);
    stub.filename = file;
    stub.loaded = true;
    stub.exports = { testRSAPKCS1V15_EncryptDecrypt: async () => undefined };
    fromHere.cache[file] = stub;
  }
  return file;
}

/** The file of node-opcua's RSA check, now an empty module; undefined if this node-opcua has none. */
export const STUBBED_RSA_PROBE: string | undefined = stubRsaProbe();
