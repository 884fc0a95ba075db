export { checkFormatVersion, type FormatCheck, PROFILE_FORMAT } from "./format-version.ts";
