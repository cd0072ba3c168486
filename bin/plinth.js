#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm install` (the prepare script) or `npm run build`.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("plinth: dist/ is missing; run `npm run build` in the plinth package first.");
  process.exit(1);
}
await import(main.href);
