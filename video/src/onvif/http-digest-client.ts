import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { VideoError } from "../video-error.ts";
import { onvifError } from "./onvif-error.ts";

export interface DigestCredentials {
  username: string;
  password: string;
}

export interface HttpGetResult {
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * GET with HTTP Digest authentication (RFC 7616 §3.4; MD5 and SHA-256, qop=auth or none), as
 * ONVIF snapshot URIs require (ONVIF Core §5.12.1). Answers the first 401 once; a second 401
 * means wrong credentials (`VIDEO_ONVIF_AUTH`).
 */
export async function getWithDigest(
  url: string,
  credentials: DigestCredentials,
  timeoutMs = 5_000,
): Promise<HttpGetResult> {
  const first = await get(url, undefined, timeoutMs);
  if (first.status !== 401) return first;
  const challenge = pickChallenge(first.challenges);
  if (!challenge) {
    throw new VideoError("VIDEO_ONVIF_AUTH", `snapshot ${url} asks for authentication other than Digest`, {
      detail: { url, status: 401 },
    });
  }
  const second = await get(url, digestAuthorization(challenge, credentials, "GET", new URL(url)), timeoutMs);
  if (second.status === 401) {
    throw new VideoError("VIDEO_ONVIF_AUTH", `snapshot ${url} refused the Digest credentials`, { detail: { url } });
  }
  return second;
}

/** Authorization header for a challenge (RFC 7616 §3.4.1 response computation). */
export function digestAuthorization(
  challenge: Record<string, string>,
  credentials: DigestCredentials,
  method: string,
  url: URL,
  cnonce = randomBytes(8).toString("hex"),
): string {
  const algorithm = (challenge.algorithm ?? "MD5").toUpperCase();
  const hashName = algorithm === "SHA-256" ? "sha256" : "md5";
  const h = (s: string) => createHash(hashName).update(s).digest("hex");
  const uri = `${url.pathname}${url.search}`;
  const realm = challenge.realm ?? "";
  const nonce = challenge.nonce ?? "";
  const qop = (challenge.qop ?? "")
    .split(",")
    .map((q) => q.trim())
    .includes("auth")
    ? "auth"
    : undefined;
  const ha1 = h(`${credentials.username}:${realm}:${credentials.password}`);
  const ha2 = h(`${method}:${uri}`);
  const nc = "00000001";
  const response = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${credentials.username}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `algorithm=${challenge.algorithm ?? "MD5"}`,
    `response="${response}"`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  return `Digest ${parts.join(", ")}`;
}

/** Prefers SHA-256 over MD5 when a camera offers both (RFC 7616 §3.7). */
function pickChallenge(headers: string[]): Record<string, string> | undefined {
  const digests = headers.filter((h) => /^Digest\s/i.test(h)).map((h) => parseParams(h.slice(7)));
  const supported = digests.filter((c) => ["MD5", "SHA-256"].includes((c.algorithm ?? "MD5").toUpperCase()));
  return supported.find((c) => c.algorithm?.toUpperCase() === "SHA-256") ?? supported[0];
}

function parseParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    out[(m[1] as string).toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "");
  }
  return out;
}

function get(
  url: string,
  authorization: string | undefined,
  timeoutMs: number,
): Promise<HttpGetResult & { challenges: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "GET", headers: authorization ? { Authorization: authorization } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(onvifError(err, url, "snapshot")));
        res.on("end", () => {
          const challenges: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            if (res.rawHeaders[i]?.toLowerCase() === "www-authenticate") challenges.push(res.rawHeaders[i + 1] ?? "");
          }
          const contentType = res.headers["content-type"] ?? "";
          resolve({ status: res.statusCode ?? 0, contentType, body: Buffer.concat(chunks), challenges });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("Network timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (err) => reject(onvifError(err, url, "snapshot")));
    req.end();
  });
}
