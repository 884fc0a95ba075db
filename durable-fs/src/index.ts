export { tracedCalls, traceFileCalls } from "./traced-calls.ts";
export {
  mkdirDurably,
  syncDirectory,
  syncDirectoryAsync,
  writeFileDurably,
  writeFileDurablyAsync,
} from "./write-file-durably.ts";
