import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { AlertLoad, type AlertLoadOptions, type AlertRunOptions, type AlertRunResult } from "./alert-load.ts";

interface ThreadInput {
  alertLoad: { load: AlertLoadOptions; run: AlertRunOptions };
}

type FromThread = { type: "steady" } | { type: "done"; result: AlertRunResult } | { type: "failed"; error: string };

/**
 * Runs an AlertLoad in a worker thread. The publishing loop has an event loop of its own there,
 * so that the webhook receiver and the NATS tap in the calling thread are not made late by it: at
 * 34k data points/s the generator held a shared event loop up to 94 ms (p99), which every arrival
 * time would have carried. `onSteady` runs when the settling is over and the measured load begins.
 */
export function runAlertLoadInThread(
  load: AlertLoadOptions,
  run: AlertRunOptions,
  onSteady: () => void,
): Promise<AlertRunResult> {
  return new Promise((resolve, reject) => {
    const input: ThreadInput = { alertLoad: { load, run } };
    // Node 20 does not apply --import tsx to a worker's entry module: the thread registers tsx
    // first (as bin/lifeline.js does), then imports this file.
    const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
    const worker = new Worker(boot, { eval: true, workerData: input });
    worker.on("message", (m: FromThread) => {
      if (m.type === "steady") onSteady();
      else if (m.type === "done") resolve(m.result);
      else reject(new Error(`load thread failed: ${m.error}`));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`load thread exited with ${code}`));
    });
  });
}

async function threadMain(input: ThreadInput): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const load = new AlertLoad(input.alertLoad.load);
  try {
    await load.connect();
    const result = await load.run(input.alertLoad.run, () => port.postMessage({ type: "steady" } satisfies FromThread));
    await load.close();
    port.postMessage({ type: "done", result } satisfies FromThread);
  } catch (error) {
    port.postMessage({ type: "failed", error: String(error) } satisfies FromThread);
  }
}

if (!isMainThread && (workerData as Partial<ThreadInput> | undefined)?.alertLoad !== undefined) {
  await threadMain(workerData as ThreadInput);
}
