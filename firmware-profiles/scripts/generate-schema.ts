// Writes generated/profile.schema.json and generated/REFERENCE.md from the zod schema and the
// built-in templates. Run: npm run generate -w @lifeline/firmware-profiles
// A test (test/generated-files.test.ts) fails when the committed files are stale.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "../src/generated-files.ts";
import { builtinTemplates } from "../src/templates/template-library.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const written: string[] = [];
for (const file of generatedFiles(builtinTemplates())) {
  const path = join(root, file.path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
  written.push(path);
}
// Laid out as the repository's formatter wants them (the staleness test ignores layout: JSON values,
// Markdown table padding).
const biome = spawnSync("npx", ["biome", "format", "--write", ...written], { cwd: root, stdio: "inherit" });
if (biome.status !== 0) process.exitCode = 1;
for (const path of written) console.log(`wrote ${path}`);
