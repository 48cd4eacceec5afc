// Block decoders (Q4_K, Q6_K, Q5_K, Q4_0, Q4_1, Q5_0, Q5_1) against an element-at-a-time reading
// of the layouts, natively on random blocks; and the products' row decoders (scalar and AVX2)
// bit for bit against the whole-tensor decoder, from ragged start columns.
import {test} from "node:test";
import assert from "node:assert/strict";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";

test("every block decoder agrees with the per-element layout", () => {
    const {worst, report} = loadNativeAddon().selftestDequant();
    console.log(report + `worst ${worst.toExponential(3)}`);
    const simd = !report.includes("simd skipped");
    for (const type of ["Q4_K", "Q6_K", "Q5_K", "Q4_0", "Q4_1", "Q5_0", "Q5_1"]) {
        assert.match(report, new RegExp(`^${type} +max_rel_diff`, "m"), `${type} was checked`);
        if (simd) assert.match(report, new RegExp(`^${type} +row decoder \\(scalar and simd\\) bit mismatches with the tensor decoder: 0$`, "m"), report);
    }
    assert.ok(worst < 1e-6, report);
});
