import "./node-opcua-preload.ts";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "@lifeline/contracts";
import {
  type ClientSession,
  MessageSecurityMode,
  makeApplicationUrn,
  OPCUAClient,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
} from "node-opcua-client";
import { AdapterError } from "../../adapter-error.ts";
import { effectivePolicy, type OpcuaConnectionConfig } from "./config.ts";
import { ObservedCertificateManager } from "./observed-certificate-manager.ts";
import type { OpcuaErrorCode } from "./opcua-error-codes.ts";
import { normaliseThumbprint, OWN_CERTIFICATE, ownApplicationUri } from "./trust-store.ts";

export interface SessionOptions {
  /** The device errors are reported against. */
  device: string;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Delays of node-opcua's own reconnection once the session is up (it retries for ever). */
  reconnect?: { initialDelayMs: number; maxDelayMs: number };
}

/** A connected client with one session, and the certificate store it judged the server with. */
export interface OpcuaSession {
  readonly client: OPCUAClient;
  readonly session: ClientSession;
  readonly certificates: ObservedCertificateManager;
  close(): Promise<void>;
}

/**
 * Connects (secure channel, IEC 62541-4 §5.5) and opens a session (§5.6) as the configuration
 * says, or throws an AdapterError that says what went wrong and what to do about it. One attempt:
 * the caller decides when to try again.
 */
export async function openSession(config: OpcuaConnectionConfig, options: SessionOptions): Promise<OpcuaSession> {
  const identity = userIdentity(config, options);
  const certificates = new ObservedCertificateManager({
    rootFolder: config.pkiDir,
    automaticallyAcceptUnknownCertificate: config.autoAcceptUnknownCertificates,
    disableFileWatchers: true, // a fresh store is opened per attempt, so approvals on disk are seen
  });
  if (config.autoAcceptUnknownCertificates && config.securityMode !== "None") {
    options.log.warn("OPC UA: trusting any server certificate on first sight (demo mode)", {
      device: options.device,
      endpointUrl: config.endpointUrl,
    });
  }
  let client: OPCUAClient | undefined;
  const close = async () => {
    await client?.disconnect().catch(() => undefined);
    await certificates.dispose().catch(() => undefined);
  };
  try {
    const connected = createClient(config, certificates, options.reconnect);
    client = connected;
    const session = await withTimeout(
      (async () => {
        await reachable(config.endpointUrl, config.connectTimeoutMs);
        await connected.connect(config.endpointUrl);
        return connected.createSession(identity);
      })(),
      config.connectTimeoutMs,
    );
    // Once a session exists, node-opcua re-opens a lost channel and repairs the session and its
    // subscriptions itself, retrying for ever with the delays above; -1 is its "for ever".
    connected.connectionStrategy.maxRetry = -1;
    return {
      client: connected,
      session,
      certificates,
      close: async () => {
        // a session can only be closed over a working channel; while reconnecting, just drop it
        if (!connected.isReconnecting) await withTimeout(session.close(true), 2_000).catch(() => undefined);
        await close();
      },
    };
  } catch (cause) {
    await close();
    throw connectionError(cause, config, options.device, certificates);
  }
}

function createClient(
  config: OpcuaConnectionConfig,
  certificates: ObservedCertificateManager,
  reconnect: SessionOptions["reconnect"],
): OPCUAClient {
  return OPCUAClient.create({
    applicationName: config.applicationName,
    applicationUri: ownApplicationUri(config.pkiDir) ?? makeApplicationUrn(hostname(), "lifeline-edge-agent"),
    clientCertificateManager: certificates,
    securityMode: MessageSecurityMode[config.securityMode],
    securityPolicy: SecurityPolicy[effectivePolicy(config)],
    endpointMustExist: false,
    keepSessionAlive: true,
    requestedSessionTimeout: 60_000,
    connectionStrategy: {
      maxRetry: 0, // the first attempt fails fast so that its error is reported; see openSession for later ones
      initialDelay: reconnect?.initialDelayMs ?? 1_000,
      maxDelay: reconnect?.maxDelayMs ?? 30_000,
    },
  });
}

function userIdentity(config: OpcuaConnectionConfig, options: SessionOptions): UserIdentityInfo {
  if (config.auth.type === "anonymous") return { type: UserTokenType.Anonymous };
  const password = options.env[config.auth.passwordEnv];
  if (password === undefined) {
    throw new AdapterError(
      "EDGE_OPCUA_PASSWORD_MISSING",
      `the password of OPC UA user ${config.auth.username} is read from $${config.auth.passwordEnv}, which is not set`,
      { device: options.device },
    );
  }
  return { type: UserTokenType.UserName, userName: config.auth.username, password };
}

/** Turns node-opcua's failure into one of the adapter's codes with a message a field engineer can act on. */
export function connectionError(
  cause: unknown,
  config: OpcuaConnectionConfig,
  device: string,
  certificates: ObservedCertificateManager,
): AdapterError {
  if (cause instanceof AdapterError) return cause;
  const text = (cause instanceof Error ? cause.message : String(cause)).replace(/\s+/g, " ").trim();
  const url = config.endpointUrl;
  const fail = (code: OpcuaErrorCode, message: string) => new AdapterError(code, message, { device }, cause);

  const serverCertificate = /server Certificate verification failed with err (\w+)/.exec(text);
  if (serverCertificate) {
    const status = serverCertificate[1];
    const seen = certificates.lastVerdict?.certificate;
    const who = seen
      ? `"${seen.commonName}" (${seen.applicationUri ?? "no application URI"}), thumbprint ${seen.thumbprint}, valid ${seen.validFrom} to ${seen.validTo}`
      : "(certificate not seen)";
    const next =
      status === "BadCertificateUntrusted" && seen
        ? `; it was put in ${join(config.pkiDir, "rejected")} — if this is the right server, approve it: lifeline pki approve ${seen.thumbprint} --pki ${config.pkiDir}`
        : "";
    return fail(
      "EDGE_OPCUA_CERTIFICATE_REJECTED",
      `the server certificate of ${url} is refused (${status}): ${who}${next}`,
    );
  }
  const refusedChannel = /rejected by server: (Bad\w+)/.exec(text);
  if (refusedChannel && /BadSecurityChecksFailed|BadCertificate/.test(refusedChannel[1] ?? "")) {
    return fail(
      "EDGE_OPCUA_CLIENT_CERTIFICATE_REJECTED",
      `${url} refused the secure channel (${refusedChannel[1]}): it most likely does not trust this client's certificate ${ownCertificateLabel(config.pkiDir)} — have the server's administrator trust it`,
    );
  }
  if (/Cannot find an Endpoint matching/i.test(text)) {
    return fail(
      "EDGE_OPCUA_ENDPOINT_NOT_FOUND",
      `${url} offers no endpoint with security mode ${config.securityMode} and policy ${effectivePolicy(config)}`,
    );
  }
  const identity = /(BadUserAccessDenied|BadIdentityToken\w*|BadUserSignatureInvalid)/.exec(text);
  if (identity) {
    const user = config.auth.type === "username" ? `user ${config.auth.username}` : "anonymous access";
    return fail("EDGE_OPCUA_AUTH_FAILED", `${url} refused ${user} (${identity[1]})`);
  }
  return fail("EDGE_OPCUA_CONNECT_FAILED", `cannot connect to ${url}: ${text}`);
}

function ownCertificateLabel(pkiDir: string): string {
  const file = join(pkiDir, OWN_CERTIFICATE);
  if (!existsSync(file)) return file;
  return `${file} (thumbprint ${normaliseThumbprint(new X509Certificate(readFileSync(file)).fingerprint)})`;
}

/**
 * A plain TCP connect first: node-opcua reports a refused or unreachable endpoint in secure modes
 * as "premature disconnection"; the socket error itself (ECONNREFUSED, EHOSTUNREACH) says more.
 */
async function reachable(endpointUrl: string, timeoutMs: number): Promise<void> {
  const url = new URL(endpointUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 4840); // IANA-registered OPC UA port
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      socket.destroy();
      reject(error);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  });
}

export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
