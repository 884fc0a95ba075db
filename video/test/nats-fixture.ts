import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALERT_CONDITION_STREAM, type AlertCondition } from "@lifeline/contracts";
import { ensureStreams, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll } from "vitest";

export interface NatsFixture {
  /** A fresh temporary folder, removed after the file's tests. */
  dir: string;
  server: NatsServerProcess;
  nc: NatsConnection;
  /** A new connection to the server (what an outbox's `connect` returns). */
  connect(): Promise<NatsConnection>;
  /** The alert conditions in the stream whose subject ends with `.<device>`, in stream order. */
  conditions(device: string): Promise<AlertCondition[]>;
}

/** A real nats-server with Lifeline's streams for the tests of one file (started before, stopped after). */
export function natsFixture(prefix: string): NatsFixture {
  const f = { dir: mkdtempSync(join(tmpdir(), prefix)) } as NatsFixture;
  beforeAll(async () => {
    f.server = await startNatsServer({ storeDir: join(f.dir, "nats") });
    f.nc = await connect({ servers: f.server.url });
    await ensureStreams(await jetstreamManager(f.nc));
  });
  afterAll(async () => {
    await f.nc?.close();
    await f.server?.stop();
    rmSync(f.dir, { recursive: true, force: true });
  });
  f.connect = () => connect({ servers: f.server.url });
  f.conditions = async (device) => {
    const jsm = await jetstreamManager(f.nc);
    const info = await jsm.streams.info(ALERT_CONDITION_STREAM);
    const out: AlertCondition[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(ALERT_CONDITION_STREAM, { seq });
      if (m?.subject.endsWith(`.${device}`)) out.push(m.json<AlertCondition>());
    }
    return out;
  };
  return f;
}
