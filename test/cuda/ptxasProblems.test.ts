// The nvcc build fails on register spills and shared-memory overflows by reading ptxas's
// report; these are reports nvcc 13.0 printed (`-Xptxas -v`, sm_90) for a kernel that spills,
// one with 64 KiB of static shared memory, and clean kernels.
import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {ptxasProblems} from "../../scripts/build-cuda.mjs";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

test("ptxasProblems names the kernels that spill or overflow shared memory", () => {
    assert.deepEqual(ptxasProblems(fixture("ptxas-spill.txt")), [
        "bigsmem(float*) (?): uses too much shared data (0x10000 bytes, 0xc000 max)",
        "spilly(float*, float const*) (sm_90): 3148 bytes spill stores, 3228 bytes spill loads",
    ]);
});

test("ptxasProblems finds nothing in a clean report", () => {
    assert.deepEqual(ptxasProblems(fixture("ptxas-clean.txt")), []);
});
