// Kernel tests: each kernel against a plain host loop on the same inputs, largest difference
// printed. The same program runs emulated on the CPU (CI) and natively on a GPU (device check).
//
//   KERNEL_TEST(rmsnorm_forward) { ...; expectClose("out", got, want, n, 1e-2); }
//
// A test fails when any expectation fails; the program prints one line per expectation and
// exits non-zero when a test failed. Argument: a substring to run only matching tests.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace ditto::test {

struct KernelTestCase { const char* name; void (*fn)(); };
std::vector<KernelTestCase>& kernelTests();
struct KernelTestRegistrar {
    KernelTestRegistrar(const char* name, void (*fn)()) { kernelTests().push_back({name, fn}); }
};
// Marks the running test failed (expectations call it; tests may call it for other checks).
void failCurrentTest(const char* what);

// Largest |got - want| / max(|want|, floor) over n values; fails above tol. floor keeps tiny
// reference values from turning rounding into a large relative error (default: 1e-3 of the
// largest |want|). Prints "  <what>: max rel err <e> (tol <tol>) at <index>".
double expectClose(const char* what, const float* got, const float* want, int64_t n, double tol, double floor = -1);
inline double expectClose(const char* what, const std::vector<float>& got, const std::vector<float>& want, double tol, double floor = -1) {
    if (got.size() != want.size()) { failCurrentTest("size mismatch"); return INFINITY; }
    return expectClose(what, got.data(), want.data(), (int64_t)got.size(), tol, floor);
}

}  // namespace ditto::test

#define KERNEL_TEST(name)                                                              \
    static void kernel_test_##name();                                                  \
    static ditto::test::KernelTestRegistrar kernel_test_reg_##name(#name, kernel_test_##name); \
    static void kernel_test_##name()
