import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/canonical-json.ts";
import type { ResolvedProfile } from "../src/profile-schema.ts";
import {
  generateKeyPair,
  keyIdOf,
  type SignedProfile,
  signedPayload,
  signProfile,
  verifySignedProfile,
} from "../src/profile-signature.ts";
import { validateProfile } from "../src/validate-profile.ts";

const text = readFileSync(fileURLToPath(new URL("../sites/coal-mine.yaml", import.meta.url)), "utf8");
const now = () => new Date("2026-01-05T08:00:00.000Z");
const signer = generateKeyPair();
const trusted = new Map([[signer.keyId, signer.publicKeyPem]]);

/** A deep copy changed by `edit`, as an attacker or a careless editor would. */
function tampered(signed: SignedProfile, edit: (s: SignedProfile) => void): SignedProfile {
  const copy = structuredClone(signed);
  edit(copy);
  return copy;
}

describe("canonicalJson", () => {
  it("sorts keys by UTF-16 code units, drops undefined members and white space", () => {
    expect(canonicalJson({ b: [1, "x", null, true], a: { d: undefined, c: -0, é: 1, Z: 2 } })).toBe(
      '{"a":{"Z":2,"c":0,"é":1},"b":[1,"x",null,true]}',
    );
  });

  it("writes numbers as ECMAScript does (RFC 8785 §3.2.2.3)", () => {
    expect(canonicalJson([0.1, 1e21, 1e-7, 100, Number.MIN_VALUE])).toBe("[0.1,1e+21,1e-7,100,5e-324]");
  });

  it("refuses what JSON cannot hold exactly", () => {
    expect(() => canonicalJson({ a: [Number.NaN] })).toThrow("a[0]: NaN has no canonical JSON form");
    expect(() => canonicalJson({ at: new Date(0) })).toThrow("at: Date has no canonical JSON form");
  });
});

describe("sign and verify", () => {
  it("keys are Ed25519 with a 16-hex-digit id from the raw public key", () => {
    expect(signer.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(signer.publicKeyPem)).toBe(signer.keyId);
    expect(signer.privateKeyPem).toContain("BEGIN PRIVATE KEY");
  });

  it("signs profile text after validating it, and verifies", () => {
    const signed = signProfile(text, signer.privateKeyPem, { now, includeCanonical: true });
    expect(signed.keyId).toBe(signer.keyId);
    expect(signed.signedAt).toBe("2026-01-05T08:00:00.000Z");
    expect(Buffer.from(signed.signature, "base64")).toHaveLength(64);
    expect(signed.canonical).toBe(signedPayload(signed.profile, signed.keyId, signed.signedAt));
    expect(signed.canonical?.startsWith('{"domain":"lifeline-profile-signature-v1","keyId":')).toBe(true);
    const verified = verifySignedProfile(signed, trusted);
    expect(verified).toEqual({ ok: true, profile: signed.profile, keyId: signer.keyId });
  });

  it("survives a JSON round trip (what travels through NATS KV)", () => {
    const signed = signProfile(text, signer.privateKeyPem, { now });
    expect(verifySignedProfile(JSON.parse(JSON.stringify(signed)), trusted).ok).toBe(true);
  });

  it("signs a resolved profile the same as its text", () => {
    const profile = validateProfile(text, "coal-mine.yaml").profile as ResolvedProfile;
    const a = signProfile(text, signer.privateKeyPem, { now });
    const b = signProfile(profile, signer.privateKeyPem, { now });
    expect(b.signature).toBe(a.signature); // Ed25519 is deterministic (RFC 8032 §5.1.6)
  });

  it.each([
    [
      "a point's scale is",
      (s: SignedProfile) => {
        const d = s.profile.devices[0];
        if (d?.type === "modbus" && d.points[1]) d.points[1].scale = 0.001;
      },
    ],
    [
      "the uplink is",
      (s: SignedProfile) => {
        if (s.profile.uplink.mqtt) s.profile.uplink.mqtt.url = "mqtt://203.0.113.9:1883";
      },
    ],
    [
      "a rule is",
      (s: SignedProfile) => {
        s.profile.rules.pop();
      },
    ],
    [
      "the signing time is",
      (s: SignedProfile) => {
        s.signedAt = "2027-01-05T08:00:00.000Z";
      },
    ],
  ])("refuses the signed profile once %s changed", (_what, edit) => {
    const signed = signProfile(text, signer.privateKeyPem, { now });
    const result = verifySignedProfile(tampered(signed, edit), trusted);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe("PROFILE_SIGNATURE_INVALID");
      expect(result.error.message).toMatch(/^the signature does not match the profile \(key [0-9a-f]{16}, signed at /);
    }
  });

  it("refuses canonical text that is not the profile's", () => {
    const signed = signProfile(text, signer.privateKeyPem, { now, includeCanonical: true });
    const result = verifySignedProfile(
      tampered(signed, (s) => (s.canonical = `${s.canonical} `)),
      trusted,
    );
    expect(result.ok ? "" : result.error.message).toBe(
      "the canonical text does not match the profile, key id and time it comes with",
    );
  });

  it("refuses a key that is not trusted, and a key id that lies", () => {
    const stranger = generateKeyPair();
    const signed = signProfile(text, stranger.privateKeyPem, { now });
    const untrusted = verifySignedProfile(signed, trusted);
    expect(untrusted.ok ? "" : [untrusted.error.code, untrusted.error.message]).toEqual([
      "PROFILE_KEY_UNTRUSTED",
      `key ${stranger.keyId} is not among the 1 trusted key(s)`,
    ]);
    // A stranger's signature claiming the trusted key's id.
    const claimed = verifySignedProfile(
      tampered(signed, (s) => (s.keyId = signer.keyId)),
      trusted,
    );
    expect(claimed.ok ? "" : claimed.error.code).toBe("PROFILE_SIGNATURE_INVALID");
    // A trust list that files a key under another key's id.
    const wrongList = new Map([[stranger.keyId, signer.publicKeyPem]]);
    const misfiled = verifySignedProfile(signed, wrongList);
    expect(misfiled.ok ? "" : misfiled.error.message).toBe(
      `the key trusted as ${stranger.keyId} has key id ${signer.keyId}: the trust list is wrong`,
    );
  });

  it("refuses malformed signed profiles", () => {
    const result = verifySignedProfile({ profile: {}, signature: "!!", keyId: "x", signedAt: "yesterday" }, trusted);
    expect(result.ok ? "" : result.error.code).toBe("PROFILE_SIGNATURE_INVALID");
    expect(result.ok ? "" : result.error.message).toMatch(/^malformed signed profile: /);
  });

  it("will not sign a profile with errors, and says which", () => {
    const broken = text.replace("port: 15022", 'port: "15022"');
    expect(() => signProfile(broken, signer.privateKeyPem, { file: "mine.yaml" })).toThrow(
      'mine.yaml has 1 error(s):\nmine.yaml:35:36: error: devices[1].connection.port: expected a number, found "15022"',
    );
  });

  it("will not sign with a key that is not Ed25519", () => {
    expect(() => signProfile(text, "not a key")).toThrow(/^not a PEM private key: /);
  });
});
