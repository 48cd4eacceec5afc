// The engine's float matrix products (own AVX2/FMA kernel, several blocking paths, weights
// decoded from F32/F16/BF16/Q8_0 inside the products) against double loops, natively.
import {test} from "node:test";
import assert from "node:assert/strict";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";

test("float matrix products agree with double loops on every path", () => {
    const {worst, report} = loadNativeAddon().selftestGemm();
    console.log(report + `worst ${worst.toExponential(3)}`);
    assert.ok(worst < 1e-5, report);
});
