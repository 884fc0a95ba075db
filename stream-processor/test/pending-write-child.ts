// Run as a child process under strace in pending-inserts.test.ts: writes one insert down.
// Usage: node --import tsx pending-write-child.ts DIR
import { PendingInserts } from "../src/pending-inserts.ts";

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: pending-write-child.ts DIR");
new PendingInserts(dir).write("tlm:1-2:2:abc", Buffer.alloc(3 * 1024 * 1024, 7));
