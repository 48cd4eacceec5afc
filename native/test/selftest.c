/* Standalone C driver of the engine (no Node.js): gradient, decoder and matrix-product self-tests,
 * then optionally a few training steps on a GGUF model. Build: see native/README.md. */
#include <stdio.h>
#include <stdlib.h>
#include "../include/ditto_engine.h"

int main(int argc, char** argv) {
    static char report[8192];
    double worst = ditto_selftest_gradcheck(report, sizeof(report));
    printf("%sworst %.3e (kernel %s)\n", report, worst, ditto_gemm_kernel());
    double dq = ditto_selftest_dequant(report, sizeof(report));
    printf("%s", report);
    if (dq > 1e-6) worst = 1;
    double dg = ditto_selftest_gemm(report, sizeof(report));
    printf("%s", report);
    if (dg > 1e-5) worst = 1;
    if (argc < 2) return worst < 1e-6 ? 0 : 1;
    char err[1024];
    ditto_open_options o = {argv[1], 4, 8.0f, 0.0f, 0x7f, 2, 1, 0.0};
    ditto_engine* e = ditto_engine_open(&o, err, sizeof err);
    if (!e) { fprintf(stderr, "open: %s\n", err); return 1; }
    int T = 32;
    int32_t tok[32], tgt[32], seg[32];
    for (int i = 0; i < T; i++) { tok[i] = (i * 7919) % 1000; seg[i] = 0; }
    for (int i = 0; i < T; i++) tgt[i] = i + 1 < T ? tok[i + 1] : -1;
    ditto_adamw s = {1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f, 1.0f};
    for (int step = 0; step < 10; step++) {
        double loss, norm; int64_t n;
        if (ditto_engine_accumulate(e, 1, T, tok, tgt, seg, &loss, &n, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
        s.grad_scale = (float)n;
        if (ditto_engine_optimizer_step(e, &s, &norm, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
        printf("step %d loss %.4f grad norm %.4f\n", step, loss / n, norm);
    }
    ditto_engine_close(e);
    return 0;
}
