import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "./canonical-json.ts";
import { formatProblem } from "./problem.ts";
import { ProfileError } from "./profile-error.ts";
import { type ResolvedProfile, resolvedProfileSchema } from "./profile-schema.ts";
import type { TemplateLibrary } from "./templates/device-template.ts";
import { validateProfile } from "./validate-profile.ts";

/** Names what the signed bytes are, so a signature over a profile cannot be passed off as one over anything else. */
export const SIGNATURE_DOMAIN = "lifeline-profile-signature-v1";

/** A resolved profile with an Ed25519 signature over its canonical form. */
export interface SignedProfile {
  profile: ResolvedProfile;
  /** The exact text that was signed (see signedPayload), when asked for; never trusted by verify. */
  canonical?: string;
  /** Ed25519 signature (RFC 8032), base64, 64 bytes. */
  signature: string;
  keyId: string;
  /** When it was signed, ISO 8601 UTC; covered by the signature. */
  signedAt: string;
}

export interface ProfileKeyPair {
  keyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

/** A new Ed25519 key pair, PEM encoded (SPKI public, PKCS #8 private). */
export function generateKeyPair(): ProfileKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** A key's id: the first 16 hex digits of the SHA-256 of its raw 32-byte Ed25519 public key. */
export function keyIdOf(publicKey: string | KeyObject): string {
  const key = typeof publicKey === "string" ? readKey(publicKey, "public") : publicKey;
  const raw = Buffer.from(key.export({ format: "jwk" }).x as string, "base64url");
  return createHash("sha256").update(raw).digest("hex").slice(0, 16);
}

/**
 * The bytes a signature covers: the UTF-8 of
 * canonicalJson({ domain: "lifeline-profile-signature-v1", keyId, profile, signedAt }).
 */
export function signedPayload(profile: unknown, keyId: string, signedAt: string): string {
  return canonicalJson({ domain: SIGNATURE_DOMAIN, keyId, profile, signedAt });
}

export interface SignOptions {
  now?: () => Date;
  /** Name of the file, for problems, when signing profile text. */
  file?: string;
  templates?: TemplateLibrary;
  /** Put the signed text in the result (for people and other verifiers; verify recomputes it). */
  includeCanonical?: boolean;
}

/**
 * Signs a profile: its text (validated and resolved first; any error refuses it) or a resolved
 * profile (checked against the resolved schema).
 */
export function signProfile(
  resolvedOrText: ResolvedProfile | string,
  privateKeyPem: string,
  options: SignOptions = {},
): SignedProfile {
  const profile = resolve(resolvedOrText, options);
  const privateKey = readKey(privateKeyPem, "private");
  const keyId = keyIdOf(createPublicKey(privateKey));
  const signedAt = (options.now?.() ?? new Date()).toISOString();
  const payload = signedPayload(profile, keyId, signedAt);
  const signature = sign(null, Buffer.from(payload, "utf8"), privateKey).toString("base64");
  const signed: SignedProfile = { profile, signature, keyId, signedAt };
  if (options.includeCanonical === true) signed.canonical = payload;
  return signed;
}

function resolve(input: ResolvedProfile | string, options: SignOptions): ResolvedProfile {
  if (typeof input === "string") {
    const file = options.file ?? "profile.yaml";
    const result = validateProfile(
      input,
      file,
      options.templates === undefined ? {} : { templates: options.templates },
    );
    if (result.profile === undefined) {
      const errors = result.problems.filter((p) => p.severity === "error");
      throw new ProfileError(
        "PROFILE_INVALID",
        `${file} has ${errors.length} error(s):\n${errors.map(formatProblem).join("\n")}`,
        {
          detail: { problems: errors },
        },
      );
    }
    return result.profile;
  }
  const parsed = resolvedProfileSchema.safeParse(input);
  if (!parsed.success) {
    throw new ProfileError("PROFILE_INVALID", `not a resolved profile: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

const signedProfileSchema = z.strictObject({
  profile: z.record(z.string(), z.unknown()),
  canonical: z.string().optional(),
  signature: z.base64(),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signedAt: z.iso.datetime(),
});

export type VerifyResult = { ok: true; profile: ResolvedProfile; keyId: string } | { ok: false; error: ProfileError };

/**
 * Checks a signed profile against the keys the gateway trusts (key id → public key PEM): the key
 * must be trusted, and the signature must cover exactly this profile, key id and time.
 */
export function verifySignedProfile(signed: unknown, trustedKeys: ReadonlyMap<string, string>): VerifyResult {
  const fail = (
    code: "PROFILE_SIGNATURE_INVALID" | "PROFILE_KEY_UNTRUSTED" | "PROFILE_INVALID",
    message: string,
  ): VerifyResult => ({
    ok: false,
    error: new ProfileError(code, message),
  });
  const shape = signedProfileSchema.safeParse(signed);
  if (!shape.success)
    return fail("PROFILE_SIGNATURE_INVALID", `malformed signed profile: ${z.prettifyError(shape.error)}`);
  const { profile, canonical, signature, keyId, signedAt } = shape.data;
  const pem = trustedKeys.get(keyId);
  if (pem === undefined)
    return fail("PROFILE_KEY_UNTRUSTED", `key ${keyId} is not among the ${trustedKeys.size} trusted key(s)`);
  let publicKey: KeyObject;
  try {
    publicKey = readKey(pem, "public");
  } catch (e) {
    return fail("PROFILE_KEY_UNTRUSTED", `the trusted key ${keyId} cannot be read: ${(e as Error).message}`);
  }
  if (keyIdOf(publicKey) !== keyId) {
    return fail(
      "PROFILE_KEY_UNTRUSTED",
      `the key trusted as ${keyId} has key id ${keyIdOf(publicKey)}: the trust list is wrong`,
    );
  }
  let payload: string;
  try {
    payload = signedPayload(profile, keyId, signedAt);
  } catch (e) {
    return fail("PROFILE_SIGNATURE_INVALID", (e as Error).message);
  }
  if (canonical !== undefined && canonical !== payload) {
    return fail(
      "PROFILE_SIGNATURE_INVALID",
      "the canonical text does not match the profile, key id and time it comes with",
    );
  }
  const bytes = Buffer.from(signature, "base64");
  if (bytes.length !== 64 || !verify(null, Buffer.from(payload, "utf8"), publicKey, bytes)) {
    return fail(
      "PROFILE_SIGNATURE_INVALID",
      `the signature does not match the profile (key ${keyId}, signed at ${signedAt})`,
    );
  }
  const parsed = resolvedProfileSchema.safeParse(profile);
  if (!parsed.success)
    return fail("PROFILE_INVALID", `signed, but not a profile this build reads: ${z.prettifyError(parsed.error)}`);
  return { ok: true, profile: parsed.data, keyId };
}

function readKey(pem: string, kind: "public" | "private"): KeyObject {
  let key: KeyObject;
  try {
    key = kind === "public" ? createPublicKey(pem) : createPrivateKey(pem);
  } catch (e) {
    throw new ProfileError("PROFILE_KEY_INVALID", `not a PEM ${kind} key: ${(e as Error).message}`, { cause: e });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new ProfileError(
      "PROFILE_KEY_INVALID",
      `expected an Ed25519 ${kind} key, found ${key.asymmetricKeyType ?? "another kind"}`,
    );
  }
  return key;
}
