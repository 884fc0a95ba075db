import type { VideoError } from "../video-error.ts";
import { connectCamera } from "./onvif-camera.ts";
import { type DiscoverOnvifOptions, discoverOnvif } from "./onvif-discovery.ts";
import { onvifError } from "./onvif-error.ts";

export interface ProbeOnvifOptions extends DiscoverOnvifOptions {
  username: string;
  password: string;
  /** Per request to each camera; default 5 s. */
  requestTimeoutMs?: number;
}

export interface ProbedProfile {
  token: string;
  name: string;
  encoding: string;
  width: number;
  height: number;
  streamUri: string;
  snapshotUri: string;
}

export interface ProbeRow {
  xaddr: string;
  name: string;
  profiles: ProbedProfile[];
  /** Set when the camera was found but could not be read; the other cameras are still probed. */
  error?: { code: string; message: string };
}

/** `lifeline probe onvif`: discovers cameras, connects to each with the credentials, lists profiles and URIs. */
export async function probeOnvif(options: ProbeOnvifOptions): Promise<ProbeRow[]> {
  const found = await discoverOnvif(options);
  return Promise.all(
    found.map(async (d): Promise<ProbeRow> => {
      const name = d.name ?? d.hardware ?? d.endpoint;
      try {
        const camera = await connectCamera({
          url: d.xaddr,
          username: options.username,
          password: options.password,
          timeoutMs: options.requestTimeoutMs,
        });
        try {
          const profiles: ProbedProfile[] = [];
          for (const p of camera.profiles) {
            const [streamUri, snapshotUri] = [await camera.streamUri(p.token), await camera.snapshotUri(p.token)];
            profiles.push({
              token: p.token,
              name: p.name,
              encoding: p.encoding,
              width: p.width,
              height: p.height,
              streamUri,
              snapshotUri,
            });
          }
          return { xaddr: d.xaddr, name, profiles };
        } finally {
          await camera.close();
        }
      } catch (err) {
        const e: VideoError = onvifError(err, d.xaddr, "probe");
        return { xaddr: d.xaddr, name, profiles: [], error: { code: e.code, message: e.message } };
      }
    }),
  );
}

/** A plain-text table, one line per profile (or per failed camera). */
export function formatProbe(rows: readonly ProbeRow[]): string {
  if (rows.length === 0) return "no ONVIF cameras answered\n";
  const header = ["CAMERA", "XADDR", "PROFILE", "ENCODING", "SIZE", "STREAM URI"];
  const lines: string[][] = [header];
  for (const r of rows) {
    if (r.error) lines.push([r.name, r.xaddr, "-", "-", "-", `${r.error.code}: ${r.error.message}`]);
    for (const p of r.profiles) {
      lines.push([r.name, r.xaddr, `${p.token} (${p.name})`, p.encoding, `${p.width}x${p.height}`, p.streamUri]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? "").length)));
  return lines
    .map((l) =>
      l
        .map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}
