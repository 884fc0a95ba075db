/**
 * The little SOAP 1.2 the simulated camera needs: read the operation and a few fields of a request,
 * write a response or a fault. ONVIF messages are flat enough that reading by local name (any
 * prefix) is exact, and it keeps the simulator free of an XML dependency.
 */

export const NS = {
  soap: "http://www.w3.org/2003/05/soap-envelope",
  wsa: "http://www.w3.org/2005/08/addressing",
  tt: "http://www.onvif.org/ver10/schema",
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tev: "http://www.onvif.org/ver10/events/wsdl",
  tptz: "http://www.onvif.org/ver20/ptz/wsdl",
  wsnt: "http://docs.oasis-open.org/wsn/b-2",
  tns1: "http://www.onvif.org/ver10/topics",
  ter: "http://www.onvif.org/ver10/error",
  wsse: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
} as const;

const PREFIXED = /^[A-Za-z][\w.-]*$/;

/** Local name of the first element inside `Body`: the operation (SOAP 1.2 Part 1 §5.3). */
export function operationOf(xml: string): string | undefined {
  return /<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(xml)?.[1];
}

/** Text of the first element with this local name, entity-decoded; undefined when absent. */
export function textOf(xml: string, localName: string): string | undefined {
  if (!PREFIXED.test(localName)) throw new Error(`bad element name ${localName}`);
  const m = new RegExp(`<(?:[\\w.-]+:)?${localName}\\b[^>]*?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${localName}>)`).exec(
    xml,
  );
  if (!m) return undefined;
  return decodeXml((m[1] ?? "").trim());
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" }[c]};`);
}

function decodeXml(s: string): string {
  return s.replace(
    /&(lt|gt|amp|quot|apos);/g,
    (_, e: string) => ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" })[e] ?? "",
  );
}

const DECLARATIONS = Object.entries(NS)
  .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
  .join(" ");

export function soapEnvelope(body: string, header = ""): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope ${DECLARATIONS}>` +
    `<soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/** SOAP 1.2 Part 1 §5.4 fault with an ONVIF subcode (ONVIF Core §5.11.2), e.g. `ter:NotAuthorized`. */
export function soapFault(code: "Sender" | "Receiver", subcode: string, reason: string): string {
  return soapEnvelope(
    "<soap:Fault>" +
      `<soap:Code><soap:Value>soap:${code}</soap:Value><soap:Subcode><soap:Value>${subcode}</soap:Value></soap:Subcode></soap:Code>` +
      `<soap:Reason><soap:Text xml:lang="en">${escapeXml(reason)}</soap:Text></soap:Reason>` +
      "</soap:Fault>",
  );
}

/** xs:dateTime in UTC with milliseconds, the form ONVIF devices send. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
