import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * HTTP Digest authentication as an IP camera's snapshot endpoint does it (RFC 7616 §3.3–3.4 with
 * the RFC 2617 MD5 default, qop=auth only). Nonces are ones this guard issued.
 */
export class HttpDigestGuard {
  readonly #realm: string;
  readonly #username: string;
  readonly #password: string;
  readonly #nonces = new Set<string>();

  constructor(options: { realm: string; username: string; password: string }) {
    this.#realm = options.realm;
    this.#username = options.username;
    this.#password = options.password;
  }

  /** True when the request carries a valid Authorization; else answers 401 with a fresh challenge. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    const header = req.headers.authorization;
    if (header !== undefined && this.#valid(header, req.method ?? "GET")) return true;
    const nonce = randomBytes(16).toString("hex");
    this.#nonces.add(nonce);
    if (this.#nonces.size > 1000) this.#nonces.delete(this.#nonces.values().next().value as string);
    res.writeHead(401, {
      "WWW-Authenticate": `Digest realm="${this.#realm}", qop="auth", nonce="${nonce}", algorithm=MD5`,
      "Content-Type": "text/plain",
    });
    res.end("401 Unauthorized");
    return false;
  }

  #valid(header: string, method: string): boolean {
    if (!/^Digest\s/i.test(header)) return false;
    const p = parseDigestParams(header.slice(7));
    const { username, realm, nonce, uri, response, qop, nc, cnonce } = p;
    if (username !== this.#username || realm !== this.#realm || nonce === undefined || !this.#nonces.has(nonce)) {
      return false;
    }
    if ((p.algorithm ?? "MD5").toUpperCase() !== "MD5" || qop !== "auth" || !nc || !cnonce || !uri) return false;
    const ha1 = md5(`${this.#username}:${this.#realm}:${this.#password}`);
    const ha2 = md5(`${method}:${uri}`);
    return response === md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  }
}

/** `k=v, k="v"` pairs of a Digest header (RFC 7616 §3.4, quoted-string with `\` escapes). */
export function parseDigestParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    const key = m[1] as string;
    out[key.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "");
  }
  return out;
}

function md5(s: string): string {
  return createHash("md5").update(s).digest("hex");
}
