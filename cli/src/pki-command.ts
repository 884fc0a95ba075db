import { parseArgs } from "node:util";
import {
  approveCertificate,
  listRejectedCertificates,
  listTrustedCertificates,
  type PeerCertificate,
} from "@lifeline/edge-agent";
import { PKI_USAGE } from "./usage.ts";

function line(c: PeerCertificate, state: string): string {
  return `${state.padEnd(8)}  ${c.thumbprint}  ${c.commonName}  ${c.applicationUri ?? "-"}  valid ${c.validFrom} .. ${c.validTo}`;
}

/** `lifeline pki list|approve`: the explicit approval step of OPC UA certificate trust. */
export async function pkiCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { pki: { type: "string", default: ".lifeline/pki" }, json: { type: "boolean", default: false } },
  });
  try {
    if (action === "list") {
      const rejected = await listRejectedCertificates(values.pki);
      const trusted = await listTrustedCertificates(values.pki);
      if (values.json) process.stdout.write(`${JSON.stringify({ rejected, trusted })}\n`);
      else {
        for (const c of rejected) process.stdout.write(`${line(c, "rejected")}\n`);
        for (const c of trusted) process.stdout.write(`${line(c, "trusted")}\n`);
        if (rejected.length + trusted.length === 0) process.stdout.write(`no certificates in ${values.pki}\n`);
      }
      return 0;
    }
    if (action === "approve" && positionals[0] !== undefined) {
      const c = await approveCertificate(values.pki, positionals[0]);
      process.stdout.write(`${line(c, "trusted")}\n`);
      return 0;
    }
  } catch (error) {
    const e = error as { code?: string; message: string };
    process.stderr.write(`${e.code ? `[${e.code}] ` : ""}${e.message}\n`);
    return 1;
  }
  process.stderr.write(`${PKI_USAGE}\n`);
  return 2;
}
