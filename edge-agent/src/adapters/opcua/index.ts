export { type BrowsedVariable, type BrowseOptions, browseOpcua } from "./browse.ts";
export {
  authSchema,
  deadbandSchema,
  effectivePolicy,
  NODE_ID_PATTERN,
  type OpcuaAuth,
  type OpcuaConnectionConfig,
  type OpcuaConnectionInput,
  type OpcuaDeadband,
  type OpcuaDeviceConfig,
  type OpcuaDeviceInput,
  type OpcuaPoint,
  opcuaConnectionSchema,
  opcuaDeviceSchema,
  opcuaPointSchema,
  SECURITY_MODES,
  SECURITY_POLICIES,
  type SecurityModeName,
  type SecurityPolicyName,
} from "./config.ts";
export { readingFromDataValue } from "./data-value-reading.ts";
export { DeferredOpcuaAdapter } from "./deferred-opcua-adapter.ts";
export { type CertificateVerdict, ObservedCertificateManager } from "./observed-certificate-manager.ts";
export { OpcuaAdapter, type OpcuaAdapterOptions } from "./opcua-adapter.ts";
export { OPCUA_ERROR_CODES, type OpcuaErrorCode } from "./opcua-error-codes.ts";
export { qualityOf } from "./status-quality.ts";
export {
  approveCertificate,
  listRejectedCertificates,
  listTrustedCertificates,
  normaliseThumbprint,
  type PeerCertificate,
} from "./trust-store.ts";
