#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli (compiled to dist/ by `npm run build`, which `npm ci` runs).
import {existsSync} from "node:fs";
import {fileURLToPath, pathToFileURL} from "node:url";
import {dirname, join} from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "src", "cli", "main.js");
if (!existsSync(compiled)) {
    console.error("error: ditto is not built yet (missing dist/src/cli/main.js).\n  fix: run `npm run build` in " + root);
    process.exit(1);
}
const {main} = await import(pathToFileURL(compiled).href);
await main(process.argv);
