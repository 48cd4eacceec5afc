import {test} from "node:test";
import assert from "node:assert/strict";
import {readdirSync, readFileSync, statSync} from "node:fs";
import {join, relative} from "node:path";

// ditto runs air-gapped: the only code that may open an outbound connection is the model download
// (pullModel and the request helper it imports) and the OpenAI-compatible backend, which talks only
// to a server the user names in a recipe; both refuse under DITTO_OFFLINE=1. Adding a file here
// needs the same: asked for by the user, and switched off by DITTO_OFFLINE.
const allowed = new Set(["src/models/pullModel.ts", "src/models/openDownload.ts", "src/runtime/OpenAiCompatibleBackend.ts"]);
const outbound: [string, RegExp][] = [
    ["fetch(", /\bfetch\s*\(/],
    ["http(s).request / http(s).get", /\bhttps?\s*\.\s*(request|get)\s*\(/],
    ["request/get imported from node:http(s)", /import\s*\{[^}]*\b(request|get)\b[^}]*\}\s*from\s*["'](node:)?https?["']/],
    ["net.connect", /\b(net|tls)\s*\.\s*(connect|createConnection)\s*\(/],
    ["undici", /from\s*["']undici["']/],
    ["WebSocket", /\bnew\s+WebSocket\s*\(/]
];

function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? walk(path) : /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
    });
}

test("no network code in src/ outside the model download", () => {
    const offenders: string[] = [];
    for (const file of walk("src")) {
        const rel = relative(".", file).split("\\").join("/");
        if (allowed.has(rel)) continue;
        const text = readFileSync(file, "utf8");
        for (const [what, re] of outbound) if (re.test(text)) offenders.push(`${rel}: ${what}`);
    }
    assert.deepEqual(offenders, [], "network use outside the allowed files: " + offenders.join(", "));
});

test("the download code is where the check expects it (the allow-list is not stale)", () => {
    const text = readFileSync("src/models/openDownload.ts", "utf8");
    assert.ok(outbound.some(([, re]) => re.test(text)));
});
