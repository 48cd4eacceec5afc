// `npm ci` runs the package's install and prepare scripts, and so does the first `npx ditto` in
// the project folder (npx installs the folder into its cache as a package, re-running both). This
// makes the second time free: each build runs only when an input is newer than its output.
//   node scripts/buildIfStale.mjs native   node-gyp rebuild when native/ or binding.gyp changed
//   node scripts/buildIfStale.mjs ts       tsc when src/ or the tsconfigs changed
import {existsSync, readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import {spawnSync} from "node:child_process";

const kinds = {
    native: {output: "build/Release/ditto_engine.node", inputs: ["binding.gyp", "native/src", "native/include", "native/addon"],
        command: ["node-gyp", "rebuild", "-j", "2"]},
    ts: {output: "dist/src/cli/main.js", inputs: ["src", "tsconfig.json", "tsconfig.build.json"], command: ["tsc", "-p", "tsconfig.build.json"]}
};

function newest(path) {
    if (!existsSync(path)) return 0;
    const st = statSync(path);
    if (!st.isDirectory()) return st.mtimeMs;
    return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), st.mtimeMs);
}

const kind = kinds[process.argv[2]];
if (!kind) {
    console.error(`usage: node scripts/buildIfStale.mjs ${Object.keys(kinds).join("|")}`);
    process.exit(2);
}
const built = existsSync(kind.output) ? statSync(kind.output).mtimeMs : 0;
if (built > 0 && kind.inputs.every((p) => newest(p) <= built) && !process.env.DITTO_REBUILD) {
    console.log(`${kind.output} is up to date (DITTO_REBUILD=1 forces a rebuild)`);
    process.exit(0);
}
// npm puts node_modules/.bin on PATH for lifecycle scripts, so node-gyp and tsc resolve as in the old scripts
const res = spawnSync(kind.command[0], kind.command.slice(1), {stdio: "inherit", shell: process.platform === "win32"});
process.exit(res.status ?? 1);
