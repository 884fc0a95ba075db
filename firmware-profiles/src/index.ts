export { BYTE_SIZE_PATTERN, formatByteSize, parseByteSize } from "./byte-size.ts";
export { canonicalJson } from "./canonical-json.ts";
export type { CheckContext, DeviceView, ProfileCheck } from "./checks/check-context.ts";
export { metricsOf } from "./device-metrics.ts";
export { closestMatch, editDistance } from "./did-you-mean.ts";
export { checkFormatVersion, type FormatCheck, PROFILE_FORMAT } from "./format-version.ts";
export { GENERATE_COMMAND, type GeneratedFile, generatedFiles } from "./generated-files.ts";
export { FSYNC_MODES, type JournalConfig, journalSchema } from "./journal-schema.ts";
export {
  describeValue,
  type Finding,
  formatKeyPath,
  formatProblem,
  type Problem,
  type Severity,
  sortProblems,
} from "./problem.ts";
export { type ChangeKind, diffProfiles, formatDiff, type ProfileChange } from "./profile-diff.ts";
export { ProfileError, type ProfileErrorCode } from "./profile-error.ts";
export { PROFILE_SCHEMA_ID, profileJsonSchema } from "./profile-json-schema.ts";
export { renderReference } from "./profile-reference.ts";
export {
  type Gateway,
  gatewaySchema,
  type ProfileInput,
  profileSchema,
  type ResolvedProfile,
  resolvedProfileSchema,
  SITE_KINDS,
  type Site,
  type SiteKind,
  siteSchema,
} from "./profile-schema.ts";
export {
  generateKeyPair,
  keyIdOf,
  type ProfileKeyPair,
  SIGNATURE_DOMAIN,
  type SignedProfile,
  type SignOptions,
  signedPayload,
  signProfile,
  type VerifyResult,
  verifySignedProfile,
} from "./profile-signature.ts";
export { type ResolvedDevice, resolveDeviceEntry } from "./resolve-device.ts";
export { type EdgeRule, type EdgeRuleKind, ruleSchema } from "./rule-schema.ts";
export { type DeviceTemplate, type TemplateLibrary, templateFileSchema } from "./templates/device-template.ts";
export { BUILTIN_TEMPLATES_DIR, builtinTemplates, loadTemplateLibrary } from "./templates/template-library.ts";
export { applyTemplate, deepMerge, type TemplateApplication } from "./templates/template-merge.ts";
export { conversion, UNITS, type UnitInfo } from "./unit-table.ts";
export {
  type MqttUplink,
  type NatsUplink,
  SECRET_REF_PATTERN,
  secretRefSchema,
  type Uplink,
  uplinkSchema,
} from "./uplink-schema.ts";
export { PROFILE_CHECKS, type ValidateOptions, type ValidationResult, validateProfile } from "./validate-profile.ts";
export { type SourcePosition, type YamlProblem, YamlSource } from "./yaml-source.ts";
