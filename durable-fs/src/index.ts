export { tracedCalls, traceFileCalls } from "./traced-calls.ts";
export { mkdirDurably, syncDirectory, writeFileDurably } from "./write-file-durably.ts";
