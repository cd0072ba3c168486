/**
 * Generates the Prisma clients of the workload bench (bench/prisma/{sqlite,postgres}.prisma) into
 * bench/.prisma/, which is not committed. `npm run bench` runs this first.
 *
 * `prisma generate` makes the client with the WebAssembly it ships and does not run the schema
 * engine, but the CLI still makes sure a schema-engine binary is present before any command and
 * tries to download one (from Prisma's binary host) when it is not; offline that fails with
 * ENOTFOUND. PRISMA_SCHEMA_ENGINE_BINARY names an existing file in its place, which generate never
 * executes; set it yourself to a real schema engine if you have one.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const placeholder = existsSync("/bin/true") ? "/bin/true" : process.execPath;
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? placeholder,
};
let failed = false;
for (const engine of ["sqlite", "postgres"]) {
  const result = spawnSync("npx", ["prisma", "generate", "--schema", join(here, `${engine}.prisma`)], {
    env,
    encoding: "utf8",
  });
  if (result.status === 0) continue;
  failed = true;
  console.log(
    `prisma generate (${engine}) failed; the bench leaves Prisma out:\n${result.stdout}${result.stderr}`,
  );
}
process.exitCode = failed ? 1 : 0;
