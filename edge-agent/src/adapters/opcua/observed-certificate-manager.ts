import "./node-opcua-preload.ts";
import { X509Certificate } from "node:crypto";
import { OPCUACertificateManager, type OPCUACertificateManagerOptions } from "node-opcua-certificate-manager";
import type { StatusCode } from "node-opcua-client";
import { describeCertificate, type PeerCertificate } from "./trust-store.ts";

export interface CertificateVerdict {
  certificate: PeerCertificate;
  status: StatusCode;
}

/**
 * node-opcua's certificate manager, remembering the last server certificate it judged, so that
 * a refused connection can name the certificate (node-opcua's error names only the status).
 */
export class ObservedCertificateManager extends OPCUACertificateManager {
  lastVerdict: CertificateVerdict | undefined;

  constructor(options: OPCUACertificateManagerOptions) {
    super(options);
  }

  override checkCertificate(chain: Buffer | Buffer[]): Promise<StatusCode>;
  override checkCertificate(chain: Buffer | Buffer[], callback: (err: Error | null, s?: StatusCode) => void): void;
  override checkCertificate(
    chain: Buffer | Buffer[],
    callback?: (err: Error | null, s?: StatusCode) => void,
  ): Promise<StatusCode> | undefined {
    const leaf = Array.isArray(chain) ? chain[0] : chain;
    const verdict = super.checkCertificate(chain).then((status) => {
      if (leaf)
        this.lastVerdict = { certificate: describeCertificate(new X509Certificate(firstDer(leaf)), ""), status };
      return status;
    });
    if (!callback) return verdict;
    verdict.then(
      (status) => callback(null, status),
      (error: Error) => callback(error),
    );
    return undefined;
  }
}

/** A chain may come as concatenated DER; the leaf is the first SEQUENCE (ITU-T X.690 §8.1.3 lengths). */
function firstDer(der: Buffer): Buffer {
  const first = der[1] ?? 0;
  if (der[0] !== 0x30 || first < 0x80) return der[0] === 0x30 ? der.subarray(0, 2 + first) : der;
  const octets = first & 0x7f;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (der[2 + i] ?? 0);
  return der.subarray(0, 2 + octets + length);
}
