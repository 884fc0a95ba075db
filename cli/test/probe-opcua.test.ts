import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientPkiCopy } from "../../edge-agent/test/fixtures/opcua/recording-sink.ts";
import { OpcuaServerProcess } from "../../edge-agent/test/fixtures/opcua/server-process.ts";
import { runLifeline } from "./run-lifeline.ts";

let server: OpcuaServerProcess;
const pki = clientPkiCopy({ trustServer: false });

beforeAll(async () => {
  server = await OpcuaServerProcess.start();
});
afterAll(async () => {
  await server?.stop();
  pki.remove();
});

describe("lifeline probe opcua and lifeline pki", () => {
  it("refuses an unknown server certificate, lists it, and browses once a person approved it", async () => {
    const probe = ["probe", "opcua", server.endpointUrl, "--pki", pki.dir, "--json"];
    const refused = await runLifeline(probe);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe("EDGE_OPCUA_CERTIFICATE_REJECTED");

    const listed = await runLifeline(["pki", "list", "--pki", pki.dir, "--json"]);
    expect(listed.code).toBe(0);
    const { rejected, trusted } = JSON.parse(listed.stdout);
    expect(rejected.length).toBe(1);
    expect(trusted).toEqual([]);
    expect(JSON.parse(refused.stdout).error.message).toContain(
      `approve it: lifeline pki approve ${rejected[0].thumbprint} --pki ${pki.dir}`,
    );

    const approved = await runLifeline(["pki", "approve", rejected[0].thumbprint, "--pki", pki.dir]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`^trusted\\s+${rejected[0].thumbprint}`));

    const browsed = await runLifeline(probe);
    expect(browsed.code).toBe(0);
    const rows = browsed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows)
      expect(Object.keys(row).sort()).toEqual(["accessLevel", "browsePath", "dataType", "nodeId"]);
  }, 90_000); // several CLI runs, each loading node-opcua through tsx: ~6 s each here, more under load
});
