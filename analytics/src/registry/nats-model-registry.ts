import { type KV, Kvm, KvWatchInclude } from "@nats-io/kv";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type ActiveModel,
  checkModelName,
  type ModelRegistry,
  type ModelVersion,
  nextActive,
  RegistryError,
  rolledBack,
  sha256Hex,
  verified,
} from "./model-registry.ts";

export const MODEL_BUCKET = "MODELS";
export const MODEL_ACTIVE_BUCKET = "MODEL_ACTIVE";

/**
 * The registry on NATS: model files in the object store MODELS (object `<name>/<version>`, the
 * registry's record in its metadata), the active version of each model in the KV bucket
 * MODEL_ACTIVE. Every process of a deployment sees the same registry.
 */
export class NatsModelRegistry implements ModelRegistry {
  readonly #store: ObjectStore;
  readonly #active: KV;
  readonly #now: () => number;

  private constructor(store: ObjectStore, active: KV, now: () => number) {
    this.#store = store;
    this.#active = active;
    this.#now = now;
  }

  static async open(nats: NatsConnection, options: { now?: () => number } = {}): Promise<NatsModelRegistry> {
    const store = await new Objm(nats).create(MODEL_BUCKET);
    const active = await new Kvm(nats).create(MODEL_ACTIVE_BUCKET, { history: 20 });
    return new NatsModelRegistry(store, active, options.now ?? Date.now);
  }

  async register(name: string, bytes: Uint8Array, metadata: Record<string, string>): Promise<ModelVersion> {
    checkModelName(name);
    const existing = await this.versions(name);
    const v: ModelVersion = {
      name,
      version: (existing[existing.length - 1]?.version ?? 0) + 1,
      sha256: sha256Hex(bytes),
      size: bytes.byteLength,
      registeredAt: this.#now(),
      metadata,
    };
    await this.#store.putBlob(
      {
        name: `${name}/${v.version}`,
        description: `${name} version ${v.version}`,
        metadata: { record: JSON.stringify(v) },
      },
      bytes,
    );
    return v;
  }

  async versions(name: string): Promise<ModelVersion[]> {
    checkModelName(name);
    const all = await this.#store.list();
    return all
      .filter((o) => o.name.startsWith(`${name}/`) && !o.deleted && o.metadata?.record !== undefined)
      .map((o) => JSON.parse(o.metadata?.record as string) as ModelVersion)
      .sort((a, b) => a.version - b.version);
  }

  async load(name: string, version: number): Promise<Uint8Array> {
    const v = (await this.versions(name)).find((x) => x.version === version);
    const bytes = v === undefined ? null : await this.#store.getBlob(`${name}/${version}`);
    if (v === undefined || bytes === null) {
      throw new RegistryError("ANALYTICS_MODEL_NOT_FOUND", `model ${name} has no version ${version}`, {
        name,
        version,
      });
    }
    return verified(v, bytes);
  }

  async activate(name: string, version: number, by: string): Promise<ActiveModel> {
    await this.load(name, version);
    const record = nextActive(await this.active(name), name, version, by, this.#now());
    await this.#active.put(name, JSON.stringify(record));
    return record;
  }

  async rollback(name: string, by: string): Promise<ActiveModel> {
    checkModelName(name);
    const record = rolledBack(await this.active(name), name, by, this.#now());
    await this.#active.put(name, JSON.stringify(record));
    return record;
  }

  async active(name: string): Promise<ActiveModel | undefined> {
    checkModelName(name);
    const e = await this.#active.get(name);
    return e === null || e.operation !== "PUT" ? undefined : e.json<ActiveModel>();
  }

  async watchActive(onChange: (active: ActiveModel) => void): Promise<() => void> {
    const watch = await this.#active.watch({ include: KvWatchInclude.LastValue });
    void (async () => {
      for await (const e of watch) if (e.operation === "PUT") onChange(e.json<ActiveModel>());
    })();
    return () => watch.stop();
  }
}
