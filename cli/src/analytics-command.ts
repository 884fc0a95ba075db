import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  FileModelRegistry,
  MODEL_SPEC_KEY,
  type ModelRegistry,
  modelSpecSchema,
  NatsModelRegistry,
  readModelMetadata,
} from "@lifeline/analytics";
import { connectNats, drainNats } from "./connect-nats.ts";
import { ANALYTICS_USAGE } from "./usage.ts";

async function withRegistry<T>(
  values: { nats?: string | undefined; registry?: string | undefined },
  work: (registry: ModelRegistry) => Promise<T>,
): Promise<T> {
  if (values.nats === undefined) return work(new FileModelRegistry(resolve(values.registry ?? ".lifeline/models")));
  const nats = await connectNats(values.nats.split(","), "lifeline-analytics");
  try {
    return await work(await NatsModelRegistry.open(nats));
  } finally {
    await drainNats(nats);
  }
}

function fail(message: string): never {
  throw Object.assign(new Error(message), { usage: true });
}

const REGISTRY_OPTIONS = {
  nats: { type: "string" },
  registry: { type: "string" },
} as const;

/** `lifeline analytics …`: the registry commands here; training and scoring in analytics-train.ts. */
export async function analyticsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case "register":
        return await register(rest);
      case "activate":
      case "rollback":
      case "models":
        return await manage(sub, rest);
      default: {
        const { analyticsModelCommand } = await import("./analytics-train.ts");
        return await analyticsModelCommand(sub, rest);
      }
    }
  } catch (error) {
    if ((error as { usage?: boolean }).usage) {
      process.stderr.write(`lifeline analytics: ${(error as Error).message}\n\n${ANALYTICS_USAGE}\n`);
      return 2;
    }
    const code = (error as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("ANALYTICS_")) {
      process.stderr.write(`lifeline analytics: ${code}: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

async function register(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { model: { type: "string" }, spec: { type: "string" }, name: { type: "string" }, ...REGISTRY_OPTIONS },
    strict: true,
  });
  if (values.model === undefined) fail("register needs --model FILE");
  const bytes = new Uint8Array(readFileSync(values.model));
  const metadata: Record<string, string> = { ...readModelMetadata(bytes).metadata };
  if (values.spec !== undefined) metadata[MODEL_SPEC_KEY] = readFileSync(values.spec, "utf8");
  const specText = metadata[MODEL_SPEC_KEY];
  if (specText === undefined) fail(`${values.model} carries no ${MODEL_SPEC_KEY}: give --spec SPEC.json`);
  const parsed = modelSpecSchema.safeParse(JSON.parse(specText));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`spec: ${issue?.path.join(".") || "(spec)"}: ${issue?.message ?? "invalid"}`);
  }
  metadata[MODEL_SPEC_KEY] = JSON.stringify(parsed.data);
  const v = await withRegistry(values, (r) => r.register(values.name ?? parsed.data.name, bytes, metadata));
  process.stdout.write(`${v.name}: version ${v.version} registered (sha256 ${v.sha256}, ${v.size} bytes)\n`);
  return 0;
}

async function manage(sub: "activate" | "rollback" | "models", argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { by: { type: "string", default: process.env.USER ?? "cli" }, ...REGISTRY_OPTIONS },
    allowPositionals: true,
    strict: true,
  });
  const [name, version] = positionals;
  return withRegistry(values, async (r) => {
    if (sub === "activate") {
      if (name === undefined || !/^\d+$/.test(version ?? "")) fail("activate needs NAME VERSION");
      const a = await r.activate(name, Number(version), values.by);
      process.stdout.write(`${a.name}: version ${a.version} active (before: ${a.history.join(", ") || "none"})\n`);
    } else if (sub === "rollback") {
      if (name === undefined) fail("rollback needs NAME");
      const a = await r.rollback(name, values.by);
      process.stdout.write(`${a.name}: back to version ${a.version}\n`);
    } else {
      if (name === undefined) fail("models needs NAME");
      const active = await r.active(name);
      for (const v of await r.versions(name)) {
        const mark = active?.version === v.version ? "*" : " ";
        const metrics = Object.entries(v.metadata)
          .filter(([k]) => k.startsWith("metric."))
          .map(([k, x]) => `${k.slice(7)}=${x}`)
          .join(" ");
        process.stdout.write(
          `${mark} ${v.name} v${v.version}  ${new Date(v.registeredAt).toISOString()}  ${v.size} B  ${metrics}\n`,
        );
      }
    }
    return 0;
  });
}
