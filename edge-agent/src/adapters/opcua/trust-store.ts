import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LifelineError } from "@lifeline/contracts";

/**
 * The client's certificate store follows IEC 62541-12 §F.1 (the layout node-opcua-pki writes):
 * own/certs + own/private (this client), trusted/certs (servers it accepts), rejected/ (servers it
 * refused, waiting for a decision), issuers/ (CA certificates and CRLs).
 */
export const OWN_CERTIFICATE = join("own", "certs", "client_certificate.pem");

/** A peer certificate as a field engineer needs it to decide: who, which one, until when. */
export interface PeerCertificate {
  /** SHA-1 of the DER encoding, lower-case hex: the name node-opcua files it under. */
  thumbprint: string;
  commonName: string;
  applicationUri: string | undefined;
  validFrom: string;
  validTo: string;
  file: string;
}

/** Server certificates this client has refused, for an operator to approve or leave. */
export function listRejectedCertificates(pkiDir: string): Promise<PeerCertificate[]> {
  return listCertificates(join(pkiDir, "rejected"));
}

export function listTrustedCertificates(pkiDir: string): Promise<PeerCertificate[]> {
  return listCertificates(join(pkiDir, "trusted", "certs"));
}

/**
 * Moves a rejected server certificate to trusted/ through node-opcua's certificate manager, so
 * that the next connection attempt accepts that server. Only a certificate the client has
 * already seen and refused can be approved: the thumbprint comes from `listRejectedCertificates`
 * or from the EDGE_OPCUA_CERTIFICATE_REJECTED error.
 */
export async function approveCertificate(pkiDir: string, thumbprint: string): Promise<PeerCertificate> {
  const wanted = normaliseThumbprint(thumbprint);
  const candidate = (await listRejectedCertificates(pkiDir)).find((c) => c.thumbprint === wanted);
  if (!candidate) {
    throw new LifelineError(
      "EDGE_OPCUA_CERTIFICATE_NOT_FOUND",
      `no rejected certificate with thumbprint ${wanted} in ${join(pkiDir, "rejected")}`,
      { detail: { pkiDir, thumbprint: wanted } },
    );
  }
  // node-opcua loads here, not with this module: listing the folders needs none of it.
  const { OPCUACertificateManager } = await import("node-opcua-certificate-manager");
  const manager = new OPCUACertificateManager({ rootFolder: pkiDir, disableFileWatchers: true });
  try {
    await manager.initialize();
    await manager.trustCertificate(new X509Certificate(await readFile(candidate.file)).raw);
  } finally {
    await manager.dispose();
  }
  const trusted = (await listTrustedCertificates(pkiDir)).find((c) => c.thumbprint === wanted);
  return trusted ?? candidate;
}

/** Accepts `AB:CD:…` (as openssl and Windows print it) as well as node-opcua's `abcd…`. */
export function normaliseThumbprint(thumbprint: string): string {
  return thumbprint.replace(/[:\s]/g, "").toLowerCase();
}

export function describeCertificate(certificate: X509Certificate, file: string): PeerCertificate {
  return {
    thumbprint: normaliseThumbprint(certificate.fingerprint),
    commonName: /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1] ?? "",
    applicationUri: applicationUriOf(certificate),
    validFrom: new Date(certificate.validFrom).toISOString(),
    validTo: new Date(certificate.validTo).toISOString(),
    file,
  };
}

/** IEC 62541-6 §6.2.2: the application URI is the certificate's subjectAltName URI. */
export function applicationUriOf(certificate: X509Certificate): string | undefined {
  return /(?:^|, )URI:([^,]+)/.exec(certificate.subjectAltName ?? "")?.[1];
}

/**
 * The application URI in this client's own certificate, if it has one yet. The URI a client
 * announces must be the one in its certificate (IEC 62541-4 §5.6.2), whatever the host is called.
 */
export function ownApplicationUri(pkiDir: string): string | undefined {
  const file = join(pkiDir, OWN_CERTIFICATE);
  if (!existsSync(file)) return undefined;
  return applicationUriOf(new X509Certificate(readFileSync(file)));
}

async function listCertificates(folder: string): Promise<PeerCertificate[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const out: PeerCertificate[] = [];
  for (const name of names.filter((n) => /\.(pem|der|crt)$/i.test(n)).sort()) {
    const file = join(folder, name);
    try {
      out.push(describeCertificate(new X509Certificate(await readFile(file)), file));
    } catch {
      // not a certificate (a stray file); the trust store ignores it too
    }
  }
  return out;
}
