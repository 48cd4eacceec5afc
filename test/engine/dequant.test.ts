// K-quant block decoders (no K-quant fixture models exist) against an element-at-a-time reading
// of the layouts, natively on random blocks.
import {test} from "node:test";
import assert from "node:assert/strict";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";

test("Q4_K and Q6_K decoders agree with the per-element layout", () => {
    const {worst, report} = loadNativeAddon().selftestDequant();
    console.log(report + `worst ${worst.toExponential(3)}`);
    assert.ok(worst < 1e-6, report);
});
