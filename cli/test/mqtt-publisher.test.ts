import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { Aedes, type AedesOptions, type Client } from "aedes";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { MqttPublisher } from "../bench/mqtt-publisher.ts";

// The benchmark's lean publisher against a real broker (aedes) and a real subscriber (mqtt.js).

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function broker(options: Partial<AedesOptions> = {}): Promise<{ url: string; aedes: Aedes; server: Server }> {
  const aedes = await Aedes.createBroker(options);
  const server = createServer(aedes.handle);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  closers.push(
    () =>
      new Promise((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      }),
  );
  return { url: `mqtt://127.0.0.1:${address.port}`, aedes, server };
}

describe("MqttPublisher", () => {
  it("delivers every payload byte for byte, in order, across frame-length boundaries, and counts each PUBACK once", async () => {
    const { url } = await broker();
    const sub = await mqtt.connectAsync(url, { clientId: "sub" });
    closers.push(() => sub.endAsync(true));
    await sub.subscribeAsync("t/#", { qos: 1 });
    const got: { topic: string; payload: string }[] = [];
    sub.on("message", (topic, payload) => got.push({ topic, payload: payload.toString("utf8") }));

    const pub = await MqttPublisher.connect(url, "pub-1");
    closers.push(() => pub.close());
    // Remaining Length of 1, 2 and 3 bytes (§2.2.3: < 128, < 16,384, < 2,097,152), and UTF-8 text.
    const sent = [
      { topic: "t/a", payload: "x" },
      { topic: "t/a", payload: "y".repeat(200) },
      { topic: "t/b/粉尘", payload: "浓度 mg/m³ ".repeat(3000) },
      ...Array.from({ length: 997 }, (_, i) => ({ topic: `t/n/${i % 7}`, payload: `{"seq":${i}}` })),
    ];
    let acked = 0;
    const errors: Error[] = [];
    for (const m of sent) pub.publish(m.topic, m.payload, (e) => (e ? errors.push(e) : acked++));
    expect(pub.inflight).toBe(1000);
    await expect.poll(() => acked, { timeout: 10_000 }).toBe(1000);
    await expect.poll(() => got.length, { timeout: 10_000 }).toBe(1000);
    expect(errors).toEqual([]);
    expect(pub.inflight).toBe(0);
    expect(got).toEqual(sent);
  });

  it("reuses packet identifiers after 65,535 messages without losing or doubling an acknowledgement", async () => {
    const { url, aedes } = await broker();
    let received = 0;
    aedes.on("publish", (packet, client) => {
      if (client !== null && packet.topic === "w") received++;
    });
    const pub = await MqttPublisher.connect(url, "pub-wrap");
    closers.push(() => pub.close());
    let acked = 0;
    const total = 70_000;
    // A window of 5,000 keeps identifiers in flight while the counter wraps past 65,535 to 1.
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      const more = () => {
        while (sent < total && pub.inflight < 5000) {
          sent++;
          pub.publish("w", "p", (e) => {
            if (e) return reject(e);
            acked++;
            if (acked === total) resolve();
            else more();
          });
        }
      };
      more();
    });
    expect(acked).toBe(total);
    await expect.poll(() => received).toBe(total);
  }, 60_000);

  it("fails the messages in flight, with an error, when the broker drops the connection", async () => {
    const held: Client[] = [];
    const { url } = await broker({
      // The broker never acknowledges: every message stays in flight.
      authorizePublish: (client) => {
        if (client !== null) held.push(client);
      },
    });
    const pub = await MqttPublisher.connect(url, "pub-drop");
    const errors: string[] = [];
    let acked = 0;
    for (let i = 0; i < 5; i++) pub.publish("d", String(i), (e) => (e ? errors.push(e.message) : acked++));
    await expect.poll(() => held.length).toBe(5);
    held[0]?.close();
    await expect.poll(() => errors.length).toBe(5);
    expect(acked).toBe(0);
    expect(errors[0]).toBe("MqttPublisher: connection closed");
    expect(pub.inflight).toBe(0);
    // A message after the connection ended fails at once, with the same error.
    pub.publish("d", "late", (e) => errors.push(e?.message ?? "acked"));
    expect(errors[5]).toBe("MqttPublisher: connection closed");
  });

  it("rejects with the broker's return code when the connection is refused", async () => {
    const { url } = await broker({
      authenticate: (_client, _user, _password, callback) => {
        const error = Object.assign(new Error("not allowed"), { returnCode: 5 as const });
        callback(error, false);
      },
    });
    await expect(MqttPublisher.connect(url, "pub-refused")).rejects.toThrow(
      `MqttPublisher: ${url}: connection refused, return code 5`,
    );
  });

  it("rejects a URL that is not mqtt://", async () => {
    await expect(MqttPublisher.connect("mqtts://127.0.0.1:8883", "pub-tls")).rejects.toThrow(
      "MqttPublisher: mqtts://127.0.0.1:8883: only mqtt:// is supported",
    );
  });

  it("rejects when nothing listens", async () => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(MqttPublisher.connect(`mqtt://127.0.0.1:${port}`, "pub-none")).rejects.toThrow(/ECONNREFUSED/);
  });
});
