import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {createHash} from "node:crypto";
import {closeSync, mkdtempSync, openSync, rmSync, writeSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";

// A 640 MB JSONL file (past V8's longest string, ~512 MB) of 640 small records padded with
// whitespace: the readers must stream it, holding the records and not the text.
test("a JSONL file past 512 MB streams: the store, the stage reader and the hash keep memory flat", () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-big-"));
    const file = join(dir, "responses.jsonl");
    const pad = Buffer.alloc(1 << 20, 0x20);
    const hash = createHash("sha256");
    const fd = openSync(file, "w");
    const lines = 640;
    for (let i = 0; i < lines; i++) {
        const line = Buffer.concat([Buffer.from(JSON.stringify({id: `r${i}`, n: i})), pad, Buffer.from("\n")]);
        writeSync(fd, line);
        hash.update(line);
    }
    closeSync(fd);
    try {
        const r = spawnSync(process.execPath, ["--max-old-space-size=128", "--import", "tsx", join(import.meta.dirname, "bigFileChild.ts"), file], {encoding: "utf8"});
        assert.equal(r.status, 0, r.stderr.slice(-3000));
        const out = JSON.parse(r.stdout.trim()) as {stored: number, read: number, last: {id: string, n: number}, sha256: string, peakRssBytes: number};
        assert.deepEqual([out.stored, out.read, out.last], [lines, lines, {id: `r${lines - 1}`, n: lines - 1}]);
        assert.equal(out.sha256, hash.digest("hex"));
        assert.ok(out.peakRssBytes < 300e6, `peak RSS ${(out.peakRssBytes / 1e6).toFixed(0)} MB for a ${lines} MB file`);
    } finally {
        rmSync(dir, {recursive: true, force: true});
    }
});
