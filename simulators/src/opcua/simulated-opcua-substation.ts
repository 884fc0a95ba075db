import { join } from "node:path";
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  type UAVariable,
  Variant,
  VariantArrayType,
} from "node-opcua";
import { type Random, seededRandom } from "../random.ts";

export interface SimulatedOpcuaSubstationOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /**
   * The server's PKI (IEC 62541-12 §F.1 layout): own/certs/server_certificate.pem and
   * own/private/private_key.pem are used when present, else node-opcua creates a self-signed pair
   * there; trusted/certs holds the client certificates it accepts.
   */
  pkiDir: string;
  /** Accept any client certificate (demo mode); default false: only those in trusted/certs. */
  acceptUnknownClients?: boolean;
  /** Users for UserName tokens (IEC 62541-4 §7.36.4), name → password. */
  users?: Readonly<Record<string, string>>;
  /** Anonymous sessions; default false, as a site profile asks for a user. */
  allowAnonymous?: boolean;
  /** How often the variables take new values; default 1 s. */
  updateIntervalMs?: number;
  /** Name of the object and prefix of the node ids: `ns=1;s=<name>.<Variable>`; default HS01. */
  name?: string;
  seed?: number;
  now?: () => number;
}

interface SubstationVariable {
  name: string;
  dataType: DataType;
  /** AnalogItem with this EURange (IEC 62541-8 §5.3.2), so that a percent deadband works too. */
  euRange?: { low: number; high: number };
  value: (t: number, random: Random) => number | boolean;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const COMMISSIONED = Date.UTC(2020, 9, 15);
const diurnal = (t: number) => Math.sin((2 * Math.PI * (t % DAY)) / DAY);
/** The substation's mean heat load: the energy counter grows at it, so it never goes back. */
const MEAN_POWER_KW = 420;

/** The substation controller's variables as the template `heating-substation-opcua` names them. */
const VARIABLES: readonly SubstationVariable[] = [
  {
    name: "SupplyTemperature",
    dataType: DataType.Double,
    euRange: { low: 0, high: 150 },
    value: (t, r) => round(85 - 5 * diurnal(t) + 0.3 * r(), 2),
  },
  {
    name: "ReturnTemperature",
    dataType: DataType.Double,
    euRange: { low: 0, high: 150 },
    value: (t, r) => round(55 - 3 * diurnal(t) + 0.3 * r(), 2),
  },
  { name: "Pressure", dataType: DataType.Float, value: (t, r) => round(0.62 + 0.03 * diurnal(t) + 0.01 * r(), 3) },
  { name: "Flow", dataType: DataType.Double, value: (t, r) => round(12 - 2 * diurnal(t) + 0.2 * r(), 2) },
  { name: "PumpRunning", dataType: DataType.Boolean, value: () => true },
  // Wh since commissioning at the mean power: a counter that never goes back between runs.
  {
    name: "EnergyTotal",
    dataType: DataType.UInt64,
    value: (t) => Math.floor((Math.max(0, t - COMMISSIONED) / HOUR) * MEAN_POWER_KW * 1000),
  },
];

/**
 * A district-heating substation controller (换热站) serving `ns=1;s=HS01.*` over OPC UA, in
 * process: Basic256Sha256 and Aes128_Sha256_RsaOaep with Sign and SignAndEncrypt, UserName tokens,
 * values that follow a diurnal signal with seeded noise, updated on a timer with the source time.
 */
export class SimulatedOpcuaSubstation {
  readonly name: string;
  readonly #options: SimulatedOpcuaSubstationOptions;
  readonly #random: Random;
  readonly #now: () => number;
  readonly #variables = new Map<string, UAVariable>();
  #server: OPCUAServer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #port = 0;

  constructor(options: SimulatedOpcuaSubstationOptions) {
    this.#options = options;
    this.name = options.name ?? "HS01";
    this.#random = seededRandom(options.seed ?? 1);
    this.#now = options.now ?? Date.now;
  }

  get port(): number {
    return this.#port;
  }

  get endpointUrl(): string {
    return `opc.tcp://${this.#options.host ?? "127.0.0.1"}:${this.#port}`;
  }

  /** The node ids served, variable name → `ns=1;s=HS01.<name>`. */
  nodeIds(): Record<string, string> {
    return Object.fromEntries(VARIABLES.map((v) => [v.name, `ns=1;s=${this.name}.${v.name}`]));
  }

  async start(): Promise<void> {
    const o = this.#options;
    const host = o.host ?? "127.0.0.1";
    const users = o.users ?? {};
    const server = new OPCUAServer({
      port: o.port ?? 0,
      host,
      hostname: host,
      serverCertificateManager: new OPCUACertificateManager({
        rootFolder: o.pkiDir,
        automaticallyAcceptUnknownCertificate: o.acceptUnknownClients ?? false,
        disableFileWatchers: true,
      }),
      certificateFile: join(o.pkiDir, "own", "certs", "server_certificate.pem"),
      privateKeyFile: join(o.pkiDir, "own", "private", "private_key.pem"),
      serverInfo: {
        applicationUri: `urn:lifeline:simulators:heating-substation:${this.name}`,
        productUri: "urn:lifeline:simulators",
        applicationName: { text: `Lifeline simulated heating substation ${this.name}` },
      },
      // None is offered for GetEndpoints (IEC 62541-4 §5.4.4): clients fetch the server's certificate
      // over it before opening the secure channel. No session gets through it: passwords are refused
      // on an unencrypted channel (node-opcua's allowUnsecurePassword stays off) and anonymous is off.
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep],
      allowAnonymous: o.allowAnonymous ?? false,
      userManager: {
        isValidUser: (user: string, password: string) => Object.hasOwn(users, user) && users[user] === password,
      },
      disableDiscovery: true,
    });
    await server.initialize();
    this.#addVariables(server);
    this.update();
    await server.start();
    this.#server = server;
    this.#port = server.endpoints[0]?.port ?? o.port ?? 0;
    this.#timer = setInterval(() => this.update(), o.updateIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** Gives every variable its value at `now()`, stamped with that source time. */
  update(): void {
    const t = this.#now();
    for (const spec of VARIABLES) {
      const value = spec.value(t, this.#random);
      const variant =
        spec.dataType === DataType.UInt64
          ? new Variant({
              dataType: DataType.UInt64,
              arrayType: VariantArrayType.Scalar,
              value: uint64(value as number),
            })
          : new Variant({ dataType: spec.dataType, value });
      this.#variables.get(spec.name)?.setValueFromSource(variant, StatusCodes.Good, new Date(t));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#server?.shutdown(0);
    this.#server = undefined;
  }

  #addVariables(server: OPCUAServer): void {
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error("node-opcua server has no address space after initialize()");
    const namespace = addressSpace.getOwnNamespace(); // ns=1
    const substation = namespace.addObject({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: this.name,
      nodeId: `s=${this.name}`,
    });
    for (const spec of VARIABLES) {
      const common = {
        componentOf: substation,
        browseName: spec.name,
        nodeId: `s=${this.name}.${spec.name}`,
        accessLevel: "CurrentRead",
        minimumSamplingInterval: 0,
      };
      const variable = spec.euRange
        ? namespace.addAnalogDataItem({ ...common, dataType: "Double", engineeringUnitsRange: spec.euRange })
        : namespace.addVariable({ ...common, dataType: spec.dataType });
      this.#variables.set(spec.name, variable);
    }
  }
}

/** node-opcua carries a UInt64 as [high, low] 32-bit words. */
function uint64(value: number): [number, number] {
  return [Math.floor(value / 2 ** 32), value % 2 ** 32];
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
