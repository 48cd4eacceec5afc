// Elementwise.cuh against the CPU engine's own ops (native/src/Ops.h) on the same inputs: bf16
// inputs are rounded first and fed to the CPU op as floats, bf16 outputs are compared with the
// unrounded CPU result. Every op runs on an aligned (16-byte vector) and a misaligned or odd-width
// (scalar) layout, with sizes that leave tails.
//
// Tolerances (relative, floor 1e-3 of the largest reference) from the measured errors (emulated):
// - bf16 outputs: one rounding, at most 2^-8 = 3.9e-3 (measured 3.89e-3), so 4e-3.
// - fp32 RMSNorm: fp32 sums against the CPU's double sums; forward measured <= 2.3e-7 (1e-6),
//   backward <= 1.4e-5 where dout w - x k cancels (4e-5).
// - fp32 RoPE: angles in double and products rounded as on the CPU: measured 0; 5e-7 leaves room
//   for the device's double sin/cos rounding a cos to the neighbouring float.
// - fp32 SwiGLU backward: expf against a double reference, measured <= 3.9e-6 (1e-5).
// - dropout (masks and values), copies, converts, adds, zero: bit for bit (tolerance 0).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "../../src/Ops.h"
#include "../kernels/Elementwise.cuh"
#include "KernelTest.h"

using namespace ditto::cuda;
using ditto::test::expectClose;
using ditto::test::failCurrentTest;

namespace {

constexpr double kTolBf16 = 4e-3, kTolNorm = 1e-6, kTolNormBack = 4e-5, kTolRope = 5e-7, kTolSwiglu = 1e-5;

// A device copy of a host vector with `pad` spare elements in front: pad 1 misaligns it.
template <typename T> struct Dev {
    T* base = nullptr;
    T* p = nullptr;
    size_t n = 0;
    Dev(size_t count, int pad = 0) : n(count) {
        cudaMalloc((void**)&base, (count + pad + 1) * sizeof(T));
        p = base + pad;
    }
    Dev(const std::vector<T>& h, int pad = 0) : Dev(h.size(), pad) { cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice); }
    ~Dev() { cudaFree(base); }
    std::vector<T> get() const {
        cudaDeviceSynchronize();
        std::vector<T> h(n);
        cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost);
        return h;
    }
};

float asF(float x) { return x; }
float asF(bf16 x) { return toFloat(x); }
template <typename T> T fromF(float x);
template <> float fromF<float>(float x) { return x; }
template <> bf16 fromF<bf16>(float x) { return toBf16(x); }
template <typename T> std::vector<float> floats(const std::vector<T>& v) {
    std::vector<float> f(v.size());
    for (size_t i = 0; i < v.size(); i++) f[i] = asF(v[i]);
    return f;
}
template <typename T> std::vector<T> randoms(std::mt19937& rng, size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<T> v(n);
    for (auto& x : v) x = fromF<T>(d(rng));
    return v;
}
template <typename T> constexpr const char* typeName() { return sizeof(T) == 2 ? "bf16" : "f32"; }
// Exact equality of the float values (both vectors already converted), naming the first mismatch.
void expectSame(const char* what, const std::vector<float>& got, const std::vector<float>& want) {
    expectClose(what, got, want, 0.0);
}

// ---- RMSNorm ----

template <typename Tout, typename Tin> void rmsnormCase(int64_t N, int C, int pad, uint32_t seed) {
    std::mt19937 rng(seed);
    auto x = randoms<Tin>(rng, (size_t)N * C, -2.0f, 2.0f);
    auto w = randoms<float>(rng, C, 0.5f, 1.5f);
    std::vector<float> xf = floats(x), want((size_t)N * C), wantR(N);
    ditto::rmsnormForward<float>(nullptr, want.data(), wantR.data(), xf.data(), w.data(), N, C, 1e-5);
    Dev<Tin> dx(x, pad);
    Dev<float> dw(w, pad);
    Dev<Tout> out((size_t)N * C, pad);
    Dev<float> rstd(N);
    rmsnormForward<Tout, Tin>(nullptr, out.p, rstd.p, dx.p, dw.p, N, C, 1e-5f);
    char what[120];
    std::snprintf(what, sizeof what, "fwd %s<-%s N=%lld C=%d pad=%d out", typeName<Tout>(), typeName<Tin>(), (long long)N, C, pad);
    expectClose(what, floats(out.get()), want, sizeof(Tout) == 2 ? kTolBf16 : kTolNorm);
    std::snprintf(what, sizeof what, "fwd %s<-%s N=%lld C=%d pad=%d rstd", typeName<Tout>(), typeName<Tin>(), (long long)N, C, pad);
    expectClose(what, rstd.get(), wantR, kTolNorm);

    // backward adds into a non-zero dx, with the CPU's rstd
    auto g = randoms<float>(rng, (size_t)N * C, -1.0f, 1.0f);
    auto acc = randoms<float>(rng, (size_t)N * C, -1.0f, 1.0f);
    std::vector<float> wantDx = acc;
    ditto::rmsnormBackward<float>(nullptr, wantDx.data(), nullptr, g.data(), xf.data(), w.data(), wantR.data(), N, C);
    Dev<float> ddx(acc, pad), dg(g, pad), dr(wantR);
    rmsnormBackward<Tin>(nullptr, ddx.p, dg.p, dx.p, dw.p, dr.p, N, C);
    std::snprintf(what, sizeof what, "bwd x=%s N=%lld C=%d pad=%d dx", typeName<Tin>(), (long long)N, C, pad);
    expectClose(what, ddx.get(), wantDx, kTolNormBack);
}

KERNEL_TEST(rmsnorm) {
    rmsnormCase<bf16, float>(37, 896, 0, 1);     // model width, a warp per row, vectors
    rmsnormCase<float, float>(11, 3584, 0, 2);   // 7B width, a block per row
    rmsnormCase<bf16, float>(5, 3584, 1, 3);     // misaligned: scalar block path
    rmsnormCase<bf16, bf16>(70, 64, 0, 4);       // Qwen3 per-head norm: 70 rows of 64, partial last block
    rmsnormCase<float, bf16>(9, 1030, 0, 5);     // odd width above the warp limit: scalar block path
    rmsnormCase<float, float>(13, 100, 0, 6);    // odd narrow width: scalar warp path
}

// ---- RoPE ----

template <typename T> void ropeCase(ditto::RopeMode mode, int64_t N, int H, int D, int nRot, bool factors, double freqScale, uint32_t seed) {
    std::mt19937 rng(seed);
    auto x = randoms<T>(rng, (size_t)N * H * D, -1.0f, 1.0f);
    std::vector<int32_t> pos(N);
    for (int64_t i = 0; i < N; i++) pos[i] = (int32_t)(i % 7 == 3 ? 4000 + i * 13 : i);  // long positions too
    std::vector<float> ff(nRot / 2);
    for (auto& f : ff) f = std::uniform_real_distribution<float>(1.0f, 8.0f)(rng);
    ditto::RopeParams rp;
    rp.mode = mode;
    rp.nRot = nRot;
    rp.base = 500000;
    rp.freqScale = freqScale;
    rp.freqFactors = factors ? ff.data() : nullptr;
    Dev<float> dff(ff);
    RopeDevice rd;
    rd.mode = mode == ditto::RopeMode::Neox ? 1 : 0;
    rd.nRot = nRot;
    rd.base = rp.base;
    rd.freqScale = rp.freqScale;
    rd.freqFactors = factors ? dff.p : nullptr;
    Dev<int32_t> dpos(pos);
    for (int sign : {1, -1}) {
        std::vector<float> want = floats(x);
        ditto::ropeApply<float>(nullptr, want.data(), pos.data(), N, H, D, rp, sign);
        Dev<T> dx(x);
        if (sign > 0) ropeForward<T>(nullptr, dx.p, dpos.p, N, H, D, rd);
        else ropeBackward<T>(nullptr, dx.p, dpos.p, N, H, D, rd);
        char what[140];
        std::snprintf(what, sizeof what, "%s %s %s N=%lld H=%d D=%d nRot=%d%s scale=%g", sign > 0 ? "fwd" : "bwd", typeName<T>(),
                      mode == ditto::RopeMode::Neox ? "neox" : "norm", (long long)N, H, D, nRot, factors ? " factors" : "", freqScale);
        std::vector<float> got = floats(dx.get());
        expectClose(what, got, want, sizeof(T) == 2 ? kTolBf16 : kTolRope);
        // dims at and beyond nRot must be the input bits
        std::vector<float> in = floats(x);
        for (int64_t r = 0; r < N * H; r++)
            for (int d = nRot; d < D; d++)
                if (std::memcmp(&got[r * D + d], &in[r * D + d], sizeof(float)) != 0) {
                    failCurrentTest("a dimension beyond nRot changed");
                    return;
                }
    }
}

// q and k rotated in place inside a fused q|k|v row (ld wider than H * D): the heads rotate as in a
// contiguous matrix and the rest of the row (v) keeps its bits.
KERNEL_TEST(rope_strided) {
    int64_t N = 21;
    int H = 5, D = 64, ld = 7 * 64;
    std::mt19937 rng(18);
    auto x = randoms<float>(rng, (size_t)N * ld, -1.0f, 1.0f);
    std::vector<int32_t> pos(N);
    for (int64_t i = 0; i < N; i++) pos[i] = (int32_t)(3 * i + 1);
    ditto::RopeParams rp;
    rp.mode = ditto::RopeMode::Neox;
    rp.nRot = D;
    rp.base = 1000000;
    RopeDevice rd;
    rd.mode = 1;
    rd.nRot = D;
    rd.base = rp.base;
    Dev<int32_t> dpos(pos);
    for (int sign : {1, -1}) {
        std::vector<float> want = x, packed((size_t)N * H * D);
        for (int64_t i = 0; i < N; i++) std::copy(&x[i * ld], &x[i * ld] + H * D, &packed[i * H * D]);
        ditto::ropeApply<float>(nullptr, packed.data(), pos.data(), N, H, D, rp, sign);
        for (int64_t i = 0; i < N; i++) std::copy(&packed[i * H * D], &packed[(i + 1) * H * D], &want[i * ld]);
        Dev<float> dx(x);
        if (sign > 0) ropeForward<float>(nullptr, dx.p, dpos.p, N, H, D, rd, ld);
        else ropeBackward<float>(nullptr, dx.p, dpos.p, N, H, D, rd, ld);
        std::vector<float> got = dx.get();
        expectClose(sign > 0 ? "fwd strided" : "bwd strided", got, want, kTolRope);
        for (int64_t i = 0; i < N; i++)
            if (std::memcmp(&got[i * ld + H * D], &x[i * ld + H * D], (ld - H * D) * sizeof(float)) != 0) {
                failCurrentTest("rope changed the row beyond its heads");
                return;
            }
    }
}

KERNEL_TEST(rope) {
    ropeCase<float>(ditto::RopeMode::Norm, 19, 3, 64, 64, true, 1.0, 11);
    ropeCase<float>(ditto::RopeMode::Neox, 19, 3, 64, 64, true, 1.0, 12);
    ropeCase<float>(ditto::RopeMode::Neox, 17, 2, 128, 96, false, 1.0 / 3.0, 13);  // partial rotation, odd linear scale
    ropeCase<float>(ditto::RopeMode::Norm, 17, 2, 80, 48, false, 0.25, 14);
    ropeCase<bf16>(ditto::RopeMode::Norm, 23, 4, 64, 64, true, 1.0, 15);
    ropeCase<bf16>(ditto::RopeMode::Neox, 23, 4, 128, 128, true, 1.0, 16);
    ropeCase<bf16>(ditto::RopeMode::Neox, 9, 2, 256, 200, false, 1.0, 17);         // D 256, untouched tail
}

// ---- SwiGLU ----

// gate and up as the fused gate|up product leaves them: rows ld apart (ld = 2F, up = gate + F,
// when fused), out and dout contiguous; the gradients land in the same layout and the columns
// between rows keep their contents.
void swigluCase(int64_t rows, int F, int64_t ld, int pad, uint32_t seed) {
    std::mt19937 rng(seed);
    size_t span = (size_t)rows * ld, n = (size_t)rows * F;
    auto g = randoms<bf16>(rng, span, -8.0f, 8.0f), u = randoms<bf16>(rng, span, -3.0f, 3.0f);
    auto dout = randoms<float>(rng, n, -1.0f, 1.0f);
    auto sentinel = randoms<float>(rng, span, 5.0f, 6.0f);
    std::vector<float> wantOut(n), wantDg = sentinel, wantDu = sentinel;
    for (int64_t r = 0; r < rows; r++)
        for (int c = 0; c < F; c++) {  // VecMath's formulas in double
            size_t i = (size_t)r * F + c, s = (size_t)r * ld + c;
            double gv = toFloat(g[s]), uv = toFloat(u[s]), sg = 1.0 / (1.0 + std::exp(-gv));
            wantOut[i] = (float)(gv * sg * uv);
            wantDu[s] = (float)(dout[i] * gv * sg);
            wantDg[s] = (float)(dout[i] * uv * sg * (1 + gv * (1 - sg)));
        }
    std::vector<bf16> sentinelB(span);
    for (size_t i = 0; i < span; i++) sentinelB[i] = toBf16(sentinel[i]);
    Dev<bf16> dgate(g, pad), dup(u, pad), out(n, pad), dgb(sentinelB, pad), dub(sentinelB, pad);
    Dev<float> ddout(dout, pad), dg(sentinel, pad), du(sentinel, pad);
    swigluForward(nullptr, out.p, dgate.p, dup.p, rows, F, ld);
    swigluBackward(nullptr, dg.p, du.p, ddout.p, dgate.p, dup.p, rows, F, ld);
    swigluBackward(nullptr, dgb.p, dub.p, ddout.p, dgate.p, dup.p, rows, F, ld);  // bf16 gradients
    char what[100];
    std::snprintf(what, sizeof what, "fwd %lldx%d ld=%lld pad=%d", (long long)rows, F, (long long)ld, pad);
    expectClose(what, floats(out.get()), wantOut, kTolBf16);
    std::snprintf(what, sizeof what, "bwd dgate %lldx%d ld=%lld pad=%d", (long long)rows, F, (long long)ld, pad);
    expectClose(what, dg.get(), wantDg, kTolSwiglu);
    std::snprintf(what, sizeof what, "bwd dup %lldx%d ld=%lld pad=%d", (long long)rows, F, (long long)ld, pad);
    expectClose(what, du.get(), wantDu, kTolSwiglu);
    std::snprintf(what, sizeof what, "bwd bf16 dgate %lldx%d ld=%lld pad=%d", (long long)rows, F, (long long)ld, pad);
    expectClose(what, floats(dgb.get()), wantDg, kTolBf16);
    std::snprintf(what, sizeof what, "bwd bf16 dup %lldx%d ld=%lld pad=%d", (long long)rows, F, (long long)ld, pad);
    expectClose(what, floats(dub.get()), wantDu, kTolBf16);
}

KERNEL_TEST(swiglu) {
    swigluCase(7, 800, 800, 0, 21);    // contiguous, vectors
    swigluCase(1, 1001, 1001, 1, 22);  // misaligned: scalar path
    swigluCase(9, 96, 192, 0, 23);     // the fused gate|up layout, vectors
    swigluCase(5, 37, 80, 0, 24);      // odd width, strided: scalar path
}

// ---- dropout: the CPU engine's masks, bit for bit ----

void dropoutCase(float p, int64_t n, int pad, uint64_t key, uint32_t seed) {
    std::mt19937 rng(seed);
    auto x = randoms<bf16>(rng, n, -2.0f, 2.0f);
    auto dxl = randoms<float>(rng, n, -1.0f, 1.0f), acc = randoms<float>(rng, n, -1.0f, 1.0f);
    ditto::Dropout dr;
    dr.p = p;
    dr.key = key;
    std::vector<float> wantXd(n), wantDx(n);
    int64_t dropped = 0;
    for (int64_t i = 0; i < n; i++) {
        float f = dr.factor<float>((uint64_t)i);
        dropped += f == 0;
        wantXd[i] = toFloat(toBf16(toFloat(x[i]) * f));
        wantDx[i] = acc[i] + dxl[i] * f;
    }
    Dev<bf16> dx(x, pad), xd(n, pad);
    Dev<float> ddxl(dxl, pad), dacc(acc, pad);
    dropoutForward(nullptr, xd.p, dx.p, n, p, key);
    dropoutBackwardAdd(nullptr, dacc.p, ddxl.p, n, p, key);
    char what[80];
    std::snprintf(what, sizeof what, "fwd p=%g n=%lld pad=%d (dropped %.3f)", p, (long long)n, pad, (double)dropped / n);
    expectSame(what, floats(xd.get()), wantXd);
    std::snprintf(what, sizeof what, "bwd p=%g n=%lld pad=%d", p, (long long)n, pad);
    expectSame(what, dacc.get(), wantDx);
}

KERNEL_TEST(dropout) {
    dropoutCase(0.1f, 8 * 1300 + 3, 0, 0x1234abcdULL, 31);
    dropoutCase(0.5f, 8 * 1300 + 3, 0, ditto::mix64(77), 32);
    dropoutCase(0.1f, 4097, 1, ditto::mix64(5) ^ 0xffULL, 33);
}

// ---- embedding, rows, bias, adds, converts, zero: exact ----

KERNEL_TEST(embedding_rows_bias) {
    std::mt19937 rng(41);
    for (int C : {896, 70}) {
        int V = 50;
        int64_t N = 37;
        auto table = randoms<bf16>(rng, (size_t)V * C, -1.0f, 1.0f);
        std::vector<int32_t> tok(N);
        for (auto& t : tok) t = (int32_t)(rng() % V);
        std::vector<float> want((size_t)N * C);
        for (int64_t i = 0; i < N; i++)
            for (int c = 0; c < C; c++) want[i * C + c] = toFloat(table[(size_t)tok[i] * C + c]);
        Dev<bf16> dt(table);
        Dev<int32_t> dtok(tok);
        Dev<float> out((size_t)N * C);
        embeddingForward(nullptr, out.p, dtok.p, dt.p, N, C);
        char what[80];
        std::snprintf(what, sizeof what, "embedding C=%d", C);
        expectSame(what, out.get(), want);

        // gather 9 rows of the embedded output (float), then scatter them into a filled matrix
        std::vector<int64_t> rows = {36, 0, 5, 17, 2, 33, 8, 21, 11};
        int64_t n = (int64_t)rows.size();
        Dev<int64_t> drows(rows);
        Dev<float> gathered((size_t)n * C);
        gatherRows<float>(nullptr, gathered.p, out.p, drows.p, n, C);
        std::vector<float> wantG((size_t)n * C);
        for (int64_t i = 0; i < n; i++) std::memcpy(&wantG[i * C], &want[rows[i] * C], C * sizeof(float));
        std::snprintf(what, sizeof what, "gatherRows f32 C=%d", C);
        expectSame(what, gathered.get(), wantG);
        Dev<bf16> gb((size_t)n * C);
        gatherRows<bf16>(nullptr, gb.p, dt.p, drows.p, n, C);
        std::vector<float> wantGb((size_t)n * C);
        for (int64_t i = 0; i < n; i++)
            for (int c = 0; c < C; c++) wantGb[i * C + c] = toFloat(table[rows[i] * C + c]);
        std::snprintf(what, sizeof what, "gatherRows bf16 C=%d", C);
        expectSame(what, floats(gb.get()), wantGb);

        auto fillv = randoms<float>(rng, (size_t)N * C, 5.0f, 6.0f);
        auto src = randoms<float>(rng, (size_t)n * C, -1.0f, 1.0f);
        std::vector<float> wantS = fillv;
        for (int64_t i = 0; i < n; i++) std::memcpy(&wantS[rows[i] * C], &src[i * C], C * sizeof(float));
        Dev<float> ds(fillv), dsrc(src);
        scatterRows(nullptr, ds.p, dsrc.p, drows.p, n, C);
        std::snprintf(what, sizeof what, "scatterRows C=%d", C);
        expectSame(what, ds.get(), wantS);

        auto bias = randoms<float>(rng, C, -1.0f, 1.0f);
        std::vector<float> wantB = fillv;
        for (int64_t i = 0; i < N; i++)
            for (int c = 0; c < C; c++) wantB[i * C + c] += bias[c];
        Dev<float> dy(fillv), db(bias);
        addBias(nullptr, dy.p, db.p, N, C);
        std::snprintf(what, sizeof what, "addBias C=%d", C);
        expectSame(what, dy.get(), wantB);
    }
}

template <typename Tout> void addConvertCase(int64_t n, int pad, uint32_t seed) {
    std::mt19937 rng(seed);
    auto a = randoms<float>(rng, n, -3.0f, 3.0f), b = randoms<float>(rng, n, -3.0f, 3.0f);
    std::vector<float> want(n), wantC(n), wantBack(n);
    for (int64_t i = 0; i < n; i++) {
        want[i] = asF(fromF<Tout>(a[i] + b[i]));
        wantC[i] = asF(fromF<Tout>(a[i]));
    }
    Dev<float> da(a, pad), dbuf(b, pad);
    Dev<Tout> out(n, pad), conv(n, pad);
    addInto<Tout>(nullptr, out.p, da.p, dbuf.p, n);
    convert<Tout, float>(nullptr, conv.p, da.p, n);
    Dev<float> back(n, pad);
    convert<float, Tout>(nullptr, back.p, conv.p, n);
    Dev<Tout> same(n, pad);
    convert<Tout, Tout>(nullptr, same.p, conv.p, n);
    char what[80];
    std::snprintf(what, sizeof what, "addInto %s n=%lld pad=%d", typeName<Tout>(), (long long)n, pad);
    expectSame(what, floats(out.get()), want);
    std::snprintf(what, sizeof what, "convert %s<-f32 and back n=%lld pad=%d", typeName<Tout>(), (long long)n, pad);
    expectSame(what, floats(conv.get()), wantC);
    expectSame(what, back.get(), wantC);
    std::snprintf(what, sizeof what, "convert %s<-%s n=%lld pad=%d", typeName<Tout>(), typeName<Tout>(), (long long)n, pad);
    expectSame(what, floats(same.get()), wantC);
}

KERNEL_TEST(add_convert_zero) {
    addConvertCase<float>(8 * 300 + 7, 0, 51);
    addConvertCase<bf16>(8 * 300 + 7, 0, 52);
    addConvertCase<bf16>(999, 1, 53);
    // zero: every byte in [off, off + bytes) cleared, the bytes around kept
    for (int off : {0, 3}) {
        for (size_t bytes : {(size_t)1, (size_t)15, (size_t)4096, (size_t)10007}) {
            std::vector<uint8_t> h(bytes + 40, 0xab);
            Dev<uint8_t> d(h);
            zero(nullptr, d.p + off, bytes);
            std::vector<uint8_t> got = d.get();
            bool ok = true;
            for (size_t i = 0; i < h.size(); i++) ok &= got[i] == ((i >= (size_t)off && i < off + bytes) ? 0 : 0xab);
            std::printf("  zero off=%d bytes=%zu: %s\n", off, bytes, ok ? "ok" : "FAIL");
            if (!ok) failCurrentTest("zero cleared the wrong bytes");
        }
    }
}

// convertRows: a column slice of a wider matrix to a contiguous one and back into a slice, bit for
// bit; the elements outside the slice untouched.
template <typename Tout> void convertRowsCase(int64_t rows, int cols, int64_t ldi, int64_t ldo, int pad, uint32_t seed) {
    std::mt19937 rng(seed);
    auto in = randoms<float>(rng, (size_t)rows * ldi, -3.0f, 3.0f);
    auto dst = randoms<Tout>(rng, (size_t)rows * ldo, 7.0f, 8.0f);
    std::vector<float> want = floats(dst);
    for (int64_t r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) want[r * ldo + c] = asF(fromF<Tout>(in[r * ldi + c]));
    Dev<float> din(in, pad);
    Dev<Tout> dout(dst, pad);
    convertRows<Tout, float>(nullptr, dout.p, ldo, din.p, ldi, rows, cols);
    char what[100];
    std::snprintf(what, sizeof what, "convertRows %s<-f32 %lldx%d ldi=%lld ldo=%lld pad=%d", typeName<Tout>(), (long long)rows, cols,
                  (long long)ldi, (long long)ldo, pad);
    expectSame(what, floats(dout.get()), want);
}

KERNEL_TEST(convert_rows) {
    convertRowsCase<bf16>(13, 64, 192, 64, 0, 61);   // the v slice of a fused q|k|v output, vectors
    convertRowsCase<bf16>(13, 64, 64, 192, 0, 62);   // into a slice of the fused input gradient
    convertRowsCase<float>(11, 40, 120, 40, 0, 63);
    convertRowsCase<bf16>(7, 33, 100, 50, 0, 64);    // odd width: scalar path
    convertRowsCase<bf16>(7, 64, 192, 64, 1, 65);    // misaligned: scalar path
}

}  // namespace
