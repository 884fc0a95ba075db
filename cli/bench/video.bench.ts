// npm run bench:video [-- --cameras 8,16,24 --seconds 20 --decode all|keyframes]
// How many cameras one 2-core machine analyses at 1 fps, decode included: N simulated 720p25
// H.264 cameras (one key frame a second, served by GStreamer's RTSP server without re-encoding)
// → one ffmpeg per camera sampling 1 fps at 128×96 → motion gate → the bundled dust/water ONNX
// model, batched across cameras → detections. Each camera count runs with the motion gate on and
// off (the peer: every sampled frame scored, as a detector without a gate does). A camera keeps
// up when it delivers its frames at 1 fps with none shed.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Reading, videoAnalysisSchema } from "@lifeline/contracts";
import { renderScene, startRtspServer } from "@lifeline/simulators";
import { type AnalysedStream, analyseStream, VideoRuntime } from "@lifeline/video";
import { MachineCpuMeter } from "./machine-cpu-meter.ts";
import { CpuMeter, cpuSeconds } from "./process-usage.ts";

const { values } = parseArgs({
  options: {
    cameras: { type: "string", default: "8,16,24" },
    seconds: { type: "string", default: "20" },
    decode: { type: "string", default: "all" },
    settle: { type: "string", default: "10" },
  },
});
const counts = String(values.cameras).split(",").map(Number);
const seconds = Number(values.seconds);
const settle = Number(values.settle);
const decode = values.decode === "keyframes" ? "keyframes" : "all";

/**
 * Ten seconds of a mine camera at 720p25: a still scene with sensor noise, a truck passing from
 * 2 s to 5 s (motion the gate must let through), rendered at 640×360 and scaled up by ffmpeg.
 */
async function clip(dir: string): Promise<string> {
  const raw = join(dir, "pit.rgb");
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 250; i++) {
    const t = i / 25;
    frames.push(
      renderScene({ view: "mine", width: 640, height: 360, seed: 5, t, vehicle: t >= 2 && t < 5, noise: 0.01 }).rgb,
    );
  }
  writeFileSync(raw, Buffer.concat(frames));
  const out = join(dir, "pit.h264");
  await new Promise<void>((resolve, reject) => {
    const ff = spawn("ffmpeg", [
      ...["-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "640x360", "-r", "25", "-i", raw],
      ...["-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"],
      ...["-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-bf", "0", "-f", "h264", out],
    ]);
    ff.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
  return out;
}

interface StepResult {
  cameras: number;
  gate: boolean;
  fps: number;
  scored: number;
  skipped: number;
  shed: number;
  warmup: number;
  cpuLifeline: number;
  cpuFfmpeg: number;
  cpuNode: number;
  cpuServer: number;
  cpuMachine: number;
  batch: number;
}

async function step(file: string, dir: string, cameras: number, gate: boolean): Promise<StepResult> {
  const server = await startRtspServer({
    mounts: Array.from({ length: cameras }, (_, i) => ({ path: `/cam${i}`, source: { kind: "h264", file, fps: 25 } })),
  });
  const runtime = await VideoRuntime.open({ dataDir: join(dir, `run-${cameras}-${gate}`), maxBatch: 16, lingerMs: 20 });
  const analysis = videoAnalysisSchema.parse({
    sampling: { fps: 1, width: 128, height: 96, decode },
    motionGate: { enabled: gate, maxSkipMs: 10_000 },
    detect: [
      { class: "dust", levels: { III: 0.7 } },
      { class: "water", levels: { III: 0.7 } },
    ],
  });
  let readings = 0;
  const sink = { readings: (_d: string, r: Reading[]) => (readings += r.length) };
  const streams: AnalysedStream[] = [];
  for (let i = 0; i < cameras; i++) {
    streams.push(
      await analyseStream({
        runtime,
        site: "bench",
        device: `cam${i}`,
        url: server.url(`/cam${i}`),
        analysis,
        readings: sink,
      }),
    );
  }
  await new Promise((r) => setTimeout(r, settle * 1_000));
  const before = streams.map((s) => s.analyzer.stats());
  const { scheduler } = await runtime.model(analysis.model);
  const runsBefore = scheduler.stats();
  const ffmpegBefore = streams.map((s) => (s.source.pid === undefined ? 0 : cpuSeconds(s.source.pid)));
  const node = process.cpuUsage();
  const meter = new CpuMeter({ server: server.pid });
  const machine = new MachineCpuMeter();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1_000));
  const elapsed = (performance.now() - t0) / 1_000;
  const after = streams.map((s) => s.analyzer.stats());
  const ffmpegAfter = streams.map((s) => (s.source.pid === undefined ? 0 : cpuSeconds(s.source.pid)));
  const nodeUsed = process.cpuUsage(node);
  const cpuServer = meter.read().server ?? 0;
  const cpuMachine = machine.read();
  const runs = scheduler.stats();
  const sum = (k: "frames" | "analysed" | "skipped" | "shed" | "warmup") =>
    after.reduce((a, s, i) => a + s[k] - (before[i]?.[k] ?? 0), 0);
  const cpuFfmpeg = (100 * ffmpegAfter.reduce((a, v, i) => a + v - (ffmpegBefore[i] ?? 0), 0)) / elapsed;
  const cpuNode = (100 * (nodeUsed.user + nodeUsed.system)) / 1e6 / elapsed;
  for (const s of streams) await s.close();
  await runtime.close();
  await server.stop();
  return {
    cameras,
    gate,
    fps: sum("frames") / cameras / elapsed,
    scored: sum("analysed") / elapsed,
    skipped: sum("skipped") / elapsed,
    shed: sum("shed"),
    warmup: sum("warmup"),
    cpuLifeline: cpuFfmpeg + cpuNode,
    cpuFfmpeg,
    cpuNode,
    cpuServer,
    cpuMachine,
    batch: (runs.items - runsBefore.items) / Math.max(1, runs.runs - runsBefore.runs),
  };
}

const dir = mkdtempSync(join(tmpdir(), "lifeline-bench-video-"));
try {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  const file = await clip(dir);
  const results: StepResult[] = [];
  for (const cameras of counts) {
    for (const gate of [true, false]) {
      const r = await step(file, dir, cameras, gate);
      results.push(r);
      process.stderr.write(`video: ${cameras} cameras, gate ${gate ? "on" : "off"}: ${JSON.stringify(r)}\n`);
    }
  }
  const f = (n: number, d = 0) => n.toFixed(d);
  const lines = [
    "",
    `command: npm run bench:video -- --cameras ${values.cameras} --seconds ${seconds} --decode ${decode}`,
    `cameras: 1280×720 25 fps H.264 (one key frame a second, 10 s loop, a truck passes for 3 s of it), RTSP over TCP from GStreamer's RTSP server (no re-encoding); analysis 1 fps at 128×96, decode ${decode}, bundled dust/water model, batches across cameras; ${settle} s to settle, then ${seconds} s measured; load average at start ${load}`,
    "",
    "| cameras | motion gate | frames/s per camera | scored/s | skipped by the gate/s | shed | mean batch | Lifeline CPU, % of one core (ffmpeg + node) | per camera | RTSP server (the cameras) | machine |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.cameras} | ${r.gate ? "on" : "off (peer)"} | ${f(r.fps, 2)} | ${f(r.scored, 1)} | ${f(r.skipped, 1)} | ${r.shed} | ${f(r.batch, 1)} | ${f(r.cpuLifeline)} (${f(r.cpuFfmpeg)} + ${f(r.cpuNode)}) | ${f(r.cpuLifeline / r.cameras, 1)} | ${f(r.cpuServer)} | ${f(r.cpuMachine)} of 200 |`,
    ),
    "",
  ];
  const kept = results.filter((r) => r.gate && r.fps >= 0.95 && r.shed === 0).map((r) => r.cameras);
  lines.push(
    `goal ≥ 16 cameras at 1 fps: ${Math.max(0, ...kept) >= 16 ? "met" : "NOT met"} (largest count that kept up with the gate on: ${Math.max(0, ...kept)})`,
    "",
  );
  process.stdout.write(lines.join("\n"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
