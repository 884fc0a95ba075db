import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import type { ProfileStatus } from "@lifeline/contracts";
import {
  diffProfiles,
  formatDiff,
  formatProblem,
  generateKeyPair,
  keyIdOf,
  type ResolvedProfile,
  type SignedProfile,
  signProfile,
  validateProfile,
} from "@lifeline/firmware-profiles";
import { openProfileBuckets } from "@lifeline/gateway";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { PROFILE_USAGE } from "./usage.ts";

const fail = (message: string): never => {
  throw Object.assign(new Error(message), { code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" });
};

function validateFile(file: string): { profile?: ResolvedProfile; ok: boolean; lines: string[] } {
  const { profile, problems } = validateProfile(readFileSync(file, "utf8"), file);
  const errors = problems.filter((p) => p.severity === "error").length;
  return { profile, ok: errors === 0 && profile !== undefined, lines: problems.map(formatProblem) };
}

function loadResolved(file: string): ResolvedProfile {
  const v = validateFile(file);
  if (!v.ok || v.profile === undefined) {
    process.stderr.write(`${v.lines.join("\n")}\n`);
    throw Object.assign(new Error(`${file} has errors; nothing was signed or flashed`), { code: "PROFILE_INVALID" });
  }
  return v.profile;
}

async function withNats<T>(url: string, work: (nats: NatsConnection) => Promise<T>): Promise<T> {
  const nats = await connect({ servers: url, name: "lifeline-profile" });
  try {
    return await work(nats);
  } finally {
    await nats.close();
  }
}

/** Waits for the gateway's status about `version`; `healthy` also waits until every point has read. */
async function awaitStatus(
  nats: NatsConnection,
  gateway: string,
  version: number,
  timeoutMs: number,
  healthy: boolean,
) {
  const { statuses } = await openProfileBuckets(nats);
  const deadline = Date.now() + timeoutMs;
  let last: ProfileStatus | undefined;
  while (Date.now() < deadline) {
    last = (await statuses.get(gateway))?.json<ProfileStatus>();
    if (last?.version === version && last.state !== "applied") return last;
    if (last?.version === version && last.state === "applied") {
      const points = last.health;
      const allRead =
        points.length > 0 && points.every((p) => p.lastSuccessAt !== undefined && p.lastError === undefined);
      if (!healthy || allRead) return last;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return last?.version === version ? last : undefined;
}

function printStatus(s: ProfileStatus): void {
  const why = s.reason ? ` — ${s.code}: ${s.reason}` : "";
  process.stdout.write(`${s.gateway}: version ${s.version} ${s.state}, running ${s.running ?? "nothing"}${why}\n`);
  for (const p of s.health) {
    const state = p.lastError ? `${p.lastError.code} ${p.lastError.message}` : "ok";
    const last = p.lastTs === undefined ? "-" : `${p.lastValue} at ${new Date(p.lastTs).toISOString()}`;
    process.stdout.write(`  ${p.device}.${p.metric}  ${last}  ${state}\n`);
  }
}

async function flash(values: Record<string, string | boolean | undefined>, file: string): Promise<number> {
  const gateways = typeof values.gateways === "string" ? values.gateways.split(",") : [values.gateway as string];
  if (gateways.some((g) => !g)) fail("--gateway ID or --gateways A,B,… is required");
  const timeoutMs = Number(values.timeout ?? 60) * 1_000;
  let signedFor: (gateway: string) => SignedProfile;
  if (file.endsWith(".json")) {
    if (gateways.length > 1) fail("a group flash signs a copy per gateway: give the YAML profile and --key");
    const signed = JSON.parse(readFileSync(file, "utf8")) as SignedProfile;
    signedFor = () => signed;
  } else {
    if (typeof values.key !== "string") fail("--key KEYFILE is needed to sign the profile (or flash a signed .json)");
    const key = readFileSync(values.key as string, "utf8");
    const resolved = loadResolved(file);
    signedFor = (gateway) => signProfile({ ...resolved, gateway: { ...resolved.gateway, id: gateway } }, key);
  }
  return withNats(String(values.nats), async (nats) => {
    const { profiles } = await openProfileBuckets(nats);
    for (const [i, gateway] of gateways.entries()) {
      const version = await profiles.put(gateway, JSON.stringify(signedFor(gateway)));
      const canary = gateways.length > 1 && i === 0;
      process.stdout.write(`${gateway}: version ${version} flashed${canary ? " (canary)" : ""}, waiting…\n`);
      const status = await awaitStatus(nats, gateway, version, timeoutMs, canary);
      if (status === undefined) {
        process.stdout.write(`${gateway}: no answer within ${timeoutMs / 1000} s\n`);
        return 1;
      }
      printStatus(status);
      if (status.state !== "applied") return 1;
      if (canary && !status.health.every((p) => p.lastError === undefined)) {
        process.stdout.write(`${gateway}: the canary's points are not all healthy; the rest are not flashed\n`);
        return 1;
      }
    }
    return 0;
  });
}

async function rollback(gateway: string, natsUrl: string, timeoutMs: number): Promise<number> {
  return withNats(natsUrl, async (nats) => {
    const { profiles, statuses } = await openProfileBuckets(nats);
    const status = (await statuses.get(gateway))?.json<ProfileStatus>();
    const running = status?.running;
    const history: Array<{ revision: number; value: Uint8Array }> = [];
    for await (const e of await profiles.history({ key: gateway })) {
      if (e.operation === "PUT") history.push({ revision: e.revision, value: e.value });
    }
    // "The previous version" is the last one the gateway applied before the running one; rejected
    // versions never ran, so they are skipped.
    const applied = new Set(status?.applied ?? []);
    const previous = history
      .filter((e) => running !== undefined && e.revision < running && applied.has(e.revision))
      .at(-1);
    if (running === undefined || previous === undefined) {
      process.stderr.write(`${gateway}: no applied version before the running one (${running ?? "none"}) is kept\n`);
      return 1;
    }
    const version = await profiles.put(gateway, previous.value);
    process.stdout.write(`${gateway}: version ${previous.revision} flashed again as version ${version}\n`);
    const answer = await awaitStatus(nats, gateway, version, timeoutMs, false);
    if (answer === undefined) return 1;
    printStatus(answer);
    return answer.state === "applied" ? 0 : 1;
  });
}

/** `lifeline profile …`: the field engineer's tools for gateway profiles. */
export async function profileCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      key: { type: "string" },
      out: { type: "string" },
      gateway: { type: "string" },
      gateways: { type: "string" },
      nats: { type: "string", default: "nats://127.0.0.1:4222" },
      timeout: { type: "string", default: "60" },
    },
  });
  switch (action) {
    case "validate": {
      if (positionals.length === 0) fail("give the profile file(s) to validate");
      let failed = false;
      for (const file of positionals) {
        const { problems } = validateProfile(readFileSync(file, "utf8"), file);
        const errors = problems.filter((p) => p.severity === "error").length;
        failed ||= errors > 0;
        if (values.json) for (const p of problems) process.stdout.write(`${JSON.stringify(p)}\n`);
        else {
          for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
          process.stdout.write(`${file}: ${errors} error(s), ${problems.length - errors} warning(s)\n`);
        }
      }
      return failed ? 1 : 0;
    }
    case "diff": {
      const [a, b] = positionals;
      if (a === undefined || b === undefined) fail("give two profiles: lifeline profile diff A B");
      process.stdout.write(`${formatDiff(diffProfiles(loadResolved(a as string), loadResolved(b as string)))}\n`);
      return 0;
    }
    case "keygen": {
      const dir = values.out ?? fail("--out DIR is required");
      const pair = generateKeyPair();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${pair.keyId}.key`), pair.privateKeyPem, { mode: 0o600 });
      chmodSync(join(dir, `${pair.keyId}.key`), 0o600);
      writeFileSync(join(dir, `${pair.keyId}.pub`), pair.publicKeyPem);
      process.stdout.write(
        `key ${pair.keyId}: ${join(dir, `${pair.keyId}.key`)} (keep it secret), ${pair.keyId}.pub (give it to gateways)\n`,
      );
      return 0;
    }
    case "sign": {
      const file = positionals[0] ?? fail("give the profile to sign");
      const key = readFileSync(values.key ?? fail("--key KEYFILE is required"), "utf8");
      const signed = signProfile(loadResolved(file), key);
      const out = values.out ?? `${file.replace(/\.ya?ml$/, "")}.signed.json`;
      writeFileSync(out, `${JSON.stringify(signed, null, 2)}\n`);
      process.stdout.write(`${basename(out)}: signed by key ${signed.keyId} at ${signed.signedAt}\n`);
      return 0;
    }
    case "flash":
      return flash(values, positionals[0] ?? fail("give the profile to flash"));
    case "status": {
      const gateway = values.gateway ?? fail("--gateway ID is required");
      return withNats(values.nats, async (nats) => {
        const status = (await (await openProfileBuckets(nats)).statuses.get(gateway))?.json<ProfileStatus>();
        if (status === undefined) {
          process.stdout.write(`${gateway}: no status yet\n`);
          return 1;
        }
        if (values.json) process.stdout.write(`${JSON.stringify(status)}\n`);
        else printStatus(status);
        return 0;
      });
    }
    case "rollback":
      return rollback(values.gateway ?? fail("--gateway ID is required"), values.nats, Number(values.timeout) * 1_000);
    default:
      process.stderr.write(`${PROFILE_USAGE}\n`);
      return 2;
  }
}

/** The trusted keys of a gateway: every `*.pub` (Ed25519 public key, PEM) in `dir`, by key id. */
export function loadTrustedKeys(dir: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".pub")) continue;
    const pem = readFileSync(join(dir, file), "utf8");
    keys.set(keyIdOf(pem), pem);
  }
  return keys;
}
