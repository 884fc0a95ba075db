import { createHash, timingSafeEqual } from "node:crypto";
import { textOf } from "./onvif-soap.ts";

export type UsernameTokenVerdict =
  | { ok: true; username: string }
  | { ok: false; reason: "missing" | "unknown-user" | "bad-digest" | "stale-created" | "replayed-nonce" };

export interface UsernameTokenCheck {
  username: string;
  password: string;
  /** The camera's clock, ms since the epoch. */
  now: number;
  /** How far Created may be from the camera clock; ONVIF Core §5.12.2.1 leaves it to the device. */
  maxSkewMs: number;
  /** Nonces seen recently, so a captured header cannot be replayed (WSS UsernameToken Profile 1.1 §4). */
  seenNonces: Set<string>;
}

/**
 * Checks the WS-Security UsernameToken of a request (OASIS WSS UsernameToken Profile 1.0 §3.1):
 * Password_Digest = Base64(SHA-1(nonce + created + password)), nonce being the decoded bytes.
 */
export function verifyUsernameToken(xml: string, check: UsernameTokenCheck): UsernameTokenVerdict {
  const username = textOf(xml, "Username");
  const digest = textOf(xml, "Password");
  const nonce = textOf(xml, "Nonce");
  const created = textOf(xml, "Created");
  if (username === undefined || digest === undefined || nonce === undefined || created === undefined) {
    return { ok: false, reason: "missing" };
  }
  if (username !== check.username) return { ok: false, reason: "unknown-user" };
  const expected = createHash("sha1")
    .update(
      Buffer.concat([Buffer.from(nonce, "base64"), Buffer.from(created, "utf8"), Buffer.from(check.password, "utf8")]),
    )
    .digest();
  const given = Buffer.from(digest, "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad-digest" };
  const createdMs = Date.parse(created);
  if (!Number.isFinite(createdMs) || Math.abs(createdMs - check.now) > check.maxSkewMs) {
    return { ok: false, reason: "stale-created" };
  }
  if (check.seenNonces.has(nonce)) return { ok: false, reason: "replayed-nonce" };
  check.seenNonces.add(nonce);
  if (check.seenNonces.size > 10_000) check.seenNonces.clear();
  return { ok: true, username };
}
