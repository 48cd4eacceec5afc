#include <cstring>
#include <string>

#include "KernelTest.h"

namespace ditto::test {

std::vector<KernelTestCase>& kernelTests() {
    static std::vector<KernelTestCase> tests;
    return tests;
}

static bool currentFailed = false;

void failCurrentTest(const char* what) {
    std::printf("  FAIL: %s\n", what);
    currentFailed = true;
}

double expectClose(const char* what, const float* got, const float* want, int64_t n, double tol, double floor) {
    if (n <= 0) { failCurrentTest((std::string(what) + ": nothing to compare").c_str()); return INFINITY; }
    double maxRef = 0;
    for (int64_t i = 0; i < n; i++) maxRef = std::fmax(maxRef, std::fabs((double)want[i]));
    if (floor < 0) floor = 1e-3 * maxRef;
    if (floor <= 0) floor = 1e-30;
    double worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = std::fabs((double)got[i] - (double)want[i]) / std::fmax(std::fabs((double)want[i]), floor);
        if (!(d <= worst)) { worst = d; at = i; }  // NaN counts as worst
        if (std::isnan(d)) break;
    }
    bool ok = worst <= tol;
    std::printf("  %s: max rel err %.3g (tol %.3g) at %lld%s\n", what, worst, tol, (long long)at, ok ? "" : "  FAIL");
    if (!ok) currentFailed = true;
    return worst;
}

}  // namespace ditto::test

int main(int argc, char** argv) {
    using namespace ditto::test;
    const char* filter = argc > 1 ? argv[1] : nullptr;
    int run = 0, failed = 0;
    for (const KernelTestCase& t : kernelTests()) {
        if (filter && !std::strstr(t.name, filter)) continue;
        std::printf("%s\n", t.name);
        std::fflush(stdout);
        currentFailed = false;
        t.fn();
        run++;
        if (currentFailed) failed++;
        std::printf("%s %s\n", currentFailed ? "FAIL" : "ok", t.name);
        std::fflush(stdout);
    }
    std::printf("%d passed, %d failed\n", run - failed, failed);
    return run == 0 || failed ? 1 : 0;
}
