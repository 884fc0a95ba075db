import { X509Certificate } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  approveCertificate,
  browseOpcua,
  listRejectedCertificates,
  listTrustedCertificates,
  OpcuaAdapter,
  type OpcuaAdapterOptions,
  type OpcuaDeviceInput,
  opcuaDeviceSchema,
} from "../src/adapters/opcua/index.ts";
import { clientPkiCopy, RecordingSink } from "./fixtures/opcua/recording-sink.ts";
import { OpcuaServerProcess, SERVER_CERTIFICATE, TEST_PASSWORD } from "./fixtures/opcua/server-process.ts";

const SUPPLY = { name: "Supply temperature", metric: "supply_temp", nodeId: "ns=1;s=HS01.SupplyTemperature" };
const serverCertificate = new X509Certificate(readFileSync(SERVER_CERTIFICATE));
const SERVER_THUMBPRINT = serverCertificate.fingerprint.replaceAll(":", "").toLowerCase();

let server: OpcuaServerProcess;
beforeAll(async () => {
  server = await OpcuaServerProcess.start();
});
afterAll(async () => {
  await server?.stop();
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function pki(options = { trustServer: true }) {
  const copy = clientPkiCopy(options);
  cleanups.push(copy.remove);
  return copy.dir;
}

async function started(device: Partial<OpcuaDeviceInput>, options: OpcuaAdapterOptions = {}) {
  const adapter = new OpcuaAdapter(
    opcuaDeviceSchema.parse({
      id: "hs-01",
      type: "opcua",
      endpointUrl: server.endpointUrl,
      pkiDir: device.pkiDir ?? pki(),
      publishingIntervalMs: 50,
      reconnect: { initialDelayMs: 200, maxDelayMs: 400 },
      points: [SUPPLY],
      ...device,
    }),
    options,
  );
  cleanups.push(() => adapter.close());
  const sink = new RecordingSink();
  await adapter.start(sink);
  return { adapter, sink };
}

describe("opcua adapter: security", () => {
  it.each([
    ["Sign", "Basic256Sha256"],
    ["SignAndEncrypt", "Basic256Sha256"],
    ["SignAndEncrypt", "Aes128_Sha256_RsaOaep"],
    ["SignAndEncrypt", "Aes256_Sha256_RsaPss"],
  ] as const)("reads over %s with %s", async (securityMode, securityPolicy) => {
    const { sink } = await started({ securityMode, securityPolicy });
    await sink.until(() => sink.readingsSeen.length === 1, "a reading");
    expect(sink.readingsSeen[0]?.metric).toBe("supply_temp");
    expect(sink.errors).toEqual([]);
  });

  it("rejects an unknown server certificate, names it, and connects once an operator approves it", async () => {
    const dir = pki({ trustServer: false });
    const { sink } = await started({ securityMode: "SignAndEncrypt", pkiDir: dir });
    await sink.until(() => sink.errors.length >= 2, "a rejection and a retried one");
    expect(sink.readingsSeen).toEqual([]);
    expect(new Set(sink.codes())).toEqual(new Set(["EDGE_OPCUA_CERTIFICATE_REJECTED"]));
    expect(sink.errors[0]?.message).toBe(
      `device hs-01: the server certificate of ${server.endpointUrl} is refused (BadCertificateUntrusted): ` +
        `"heating-substation" (urn:lifeline:test:heating-substation-server), thumbprint ${SERVER_THUMBPRINT}, ` +
        "valid 2026-01-01T00:00:00.000Z to 2056-01-01T00:00:00.000Z; " +
        `it was put in ${join(dir, "rejected")} — if this is the right server, approve it: lifeline pki approve ${SERVER_THUMBPRINT} --pki ${dir}`,
    );
    const rejected = await listRejectedCertificates(dir);
    expect(rejected).toEqual([
      {
        thumbprint: SERVER_THUMBPRINT,
        commonName: "heating-substation",
        applicationUri: "urn:lifeline:test:heating-substation-server",
        validFrom: "2026-01-01T00:00:00.000Z",
        validTo: "2056-01-01T00:00:00.000Z",
        file: join(dir, "rejected", `heating-substation[${SERVER_THUMBPRINT}].pem`),
      },
    ]);

    const approved = await approveCertificate(dir, serverCertificate.fingerprint); // as openssl prints it
    expect(approved.thumbprint).toBe(SERVER_THUMBPRINT);
    expect(approved.file.startsWith(join(dir, "trusted", "certs"))).toBe(true);
    expect(await listRejectedCertificates(dir)).toEqual([]);
    await sink.until(() => sink.readingsSeen.length === 1, "a reading after the approval");
  });

  it("refuses to approve a certificate that was never rejected", async () => {
    await expect(approveCertificate(pki(), "00".repeat(20))).rejects.toMatchObject({
      code: "EDGE_OPCUA_CERTIFICATE_NOT_FOUND",
    });
  });

  it("trusts an unknown server certificate on first sight only in demo mode", async () => {
    const dir = pki({ trustServer: false });
    const { sink } = await started({
      securityMode: "SignAndEncrypt",
      pkiDir: dir,
      autoAcceptUnknownCertificates: true,
    });
    await sink.until(() => sink.readingsSeen.length === 1, "a reading");
    expect(sink.errors).toEqual([]);
    expect((await listTrustedCertificates(dir)).map((c) => c.thumbprint)).toEqual([SERVER_THUMBPRINT]);
  });

  it("says so when the server does not trust this client's certificate", async () => {
    const dir = pki();
    rmSync(join(dir, "own"), { recursive: true }); // node-opcua makes a new, unknown, certificate
    const { sink } = await started({ securityMode: "SignAndEncrypt", pkiDir: dir });
    await sink.until(() => sink.errors.length >= 1, "the refusal");
    const own = new X509Certificate(readFileSync(join(dir, "own", "certs", "client_certificate.pem")));
    expect(sink.errors[0]?.code).toBe("EDGE_OPCUA_CLIENT_CERTIFICATE_REJECTED");
    expect(sink.errors[0]?.message).toBe(
      `device hs-01: ${server.endpointUrl} refused the secure channel (BadSecurityChecksFailed): it most likely ` +
        `does not trust this client's certificate ${join(dir, "own", "certs", "client_certificate.pem")} ` +
        `(thumbprint ${own.fingerprint.replaceAll(":", "").toLowerCase()}) — have the server's administrator trust it`,
    );
  });

  it("logs in with a user name and a password taken from the environment", async () => {
    const auth = { type: "username", username: "operator", passwordEnv: "HS01_OPCUA_PASSWORD" } as const;
    const good = await started(
      { securityMode: "SignAndEncrypt", auth },
      { env: { HS01_OPCUA_PASSWORD: TEST_PASSWORD } },
    );
    await good.sink.until(() => good.sink.readingsSeen.length === 1, "a reading");
    expect(good.sink.errors).toEqual([]);

    const wrong = await started({ securityMode: "SignAndEncrypt", auth }, { env: { HS01_OPCUA_PASSWORD: "guess" } });
    expect(wrong.sink.errors.map((e) => [e.code, e.message])).toEqual([
      ["EDGE_OPCUA_AUTH_FAILED", `device hs-01: ${server.endpointUrl} refused user operator (BadUserAccessDenied)`],
    ]);

    const unset = await started({ securityMode: "None", auth }, { env: {} });
    expect(unset.sink.errors.map((e) => [e.code, e.message])).toEqual([
      [
        "EDGE_OPCUA_PASSWORD_MISSING",
        "device hs-01: the password of OPC UA user operator is read from $HS01_OPCUA_PASSWORD, which is not set",
      ],
    ]);
  });
});

describe("opcua browse", () => {
  it("lists the server's variables with node id, browse path, data type and access level", async () => {
    const lines: string[] = [];
    const variables = await browseOpcua({
      endpointUrl: server.endpointUrl,
      securityMode: "SignAndEncrypt",
      pkiDir: pki(),
      maxDepth: 3,
      json: true,
      out: { write: (text: string) => lines.push(text) },
    });
    const hs01 = variables.filter((v) => v.browsePath.startsWith("Objects/1:HS01/"));
    expect(hs01.map((v) => [v.nodeId, v.browsePath, v.dataType, v.accessLevel])).toEqual([
      ["ns=1;s=HS01.SupplyTemperature", "Objects/1:HS01/1:SupplyTemperature", "Double", "read"],
      ["ns=1;s=HS01.ReturnTemperature", "Objects/1:HS01/1:ReturnTemperature", "Double", "read"],
      ["ns=1;s=HS01.Pressure", "Objects/1:HS01/1:Pressure", "Float", "read"],
      ["ns=1;s=HS01.Flow", "Objects/1:HS01/1:Flow", "Double", "read"],
      ["ns=1;s=HS01.PumpRunning", "Objects/1:HS01/1:PumpRunning", "Boolean", "read"],
      ["ns=1;s=HS01.EnergyTotal", "Objects/1:HS01/1:EnergyTotal", "UInt64", "read"],
      ["ns=1;s=HS01.HeatBalance", "Objects/1:HS01/1:HeatBalance", "Int64", "read"],
      ["ns=1;s=HS01.Counter", "Objects/1:HS01/1:Counter", "Int32", "read,write"],
      ["ns=1;s=HS01.State", "Objects/1:HS01/1:State", "String", "read"],
      ["ns=1;s=HS01.RecentFlows", "Objects/1:HS01/1:RecentFlows", "Double", "read"],
    ]);
    expect(variables.some((v) => v.browsePath.startsWith("Objects/Server"))).toBe(false);
    expect(lines.map((line) => JSON.parse(line))).toEqual(variables);
  });

  it("prints a table for people", async () => {
    let text = "";
    await browseOpcua({
      endpointUrl: server.endpointUrl,
      securityMode: "None",
      pkiDir: pki(),
      startNodeId: "ns=1;s=HS01",
      maxDepth: 1,
      out: { write: (t: string) => (text += t) },
    });
    const lines = text.trimEnd().split("\n");
    expect(lines[0]?.split(/\s{2,}/)).toEqual(["NODE ID", "DATA TYPE", "ACCESS", "BROWSE PATH"]);
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      "ns=1;s=HS01.SupplyTemperature",
      "Double",
      "read",
      "ns=1;s=HS01/1:SupplyTemperature",
    ]);
    expect(lines.length).toBe(11);
  });
});
