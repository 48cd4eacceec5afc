// The device check: the CUDA engine against the CPU engine on random models, and the GPU training
// benchmark on Qwen2.5-7B shapes. A standalone program over the C API (the GPU machines have no
// Node.js); scripts/device-check.sh builds and runs it. Prints progress to stderr and one JSON
// object to stdout.
//
//   device_check parity [--emulated] [--work DIR]     GPU vs CPU: gradients of one step, 20-step losses
//   device_check bench --type q8_0|bf16 [--batch B] [--steps N] [--work DIR] [--emulated] [--small]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../include/ditto_engine.h"
#include "RandomGguf.h"

using ditto::check::ModelShape;
using ditto::check::RandomGgufWriter;
using ditto::check::WeightType;

namespace {

struct Engine {
    ditto_engine* e = nullptr;
    Engine(const std::string& path, int device, int rank, double budgetMb) {
        char err[2048];
        ditto_open_options o{};
        o.model_path = path.c_str();
        o.rank = rank;
        o.alpha = 2.0f * rank;
        o.dropout = 0;
        o.targets = 0x7f;
        o.threads = 0;
        o.seed = 7;
        o.activation_budget_mb = budgetMb;
        o.device = device;
        e = ditto_engine_open(&o, err, sizeof err);
        if (!e) { std::fprintf(stderr, "open %s: %s\n", path.c_str(), err); std::exit(2); }
    }
    ~Engine() { ditto_engine_close(e); }
};

void fail(const char* what, const char* err) { std::fprintf(stderr, "%s: %s\n", what, err); std::exit(2); }

struct Batch {
    int batch = 0, seqLen = 0;
    std::vector<int32_t> tokens, targets, segments;
};

// Rows of packed sessions (lengths cycling through a few values, the last padded), next-token targets.
Batch makeBatch(int batch, int seqLen, int nVocab, uint64_t seed) {
    Batch b;
    b.batch = batch;
    b.seqLen = seqLen;
    size_t n = (size_t)batch * seqLen;
    b.tokens.resize(n);
    b.targets.assign(n, -1);
    b.segments.resize(n);
    uint64_t x = seed | 1;
    auto next = [&]() { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
    const int lengths[] = {seqLen / 2 + 3, seqLen / 4, seqLen / 8 + 1, seqLen};
    for (int r = 0; r < batch; r++) {
        int i = 0, seg = 0;
        while (i < seqLen) {
            int len = std::min(lengths[(r + seg) % 4], seqLen - i);
            bool padding = i > 0 && seg == 3;
            for (int k = 0; k < len; k++) {
                size_t at = (size_t)r * seqLen + i + k;
                b.tokens[at] = (int32_t)(next() % (uint64_t)nVocab);
                b.segments[at] = padding ? -1 : seg;
            }
            if (!padding)
                for (int k = 0; k + 1 < len; k++) b.targets[(size_t)r * seqLen + i + k] = b.tokens[(size_t)r * seqLen + i + k + 1];
            i += len;
            seg++;
        }
    }
    return b;
}

double accumulate(Engine& e, const Batch& b, int64_t* tokens) {
    double loss = 0;
    char err[2048];
    if (ditto_engine_accumulate(e.e, b.batch, b.seqLen, b.tokens.data(), b.targets.data(), b.segments.data(), &loss, tokens, err, sizeof err))
        fail("accumulate", err);
    return loss;
}

void optimizerStep(Engine& e, int64_t tokens) {
    ditto_adamw s{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f, (float)tokens};
    double norm;
    char err[2048];
    if (ditto_engine_optimizer_step(e.e, &s, &norm, err, sizeof err)) fail("optimizer step", err);
}

std::string deviceJson(ditto_engine* e) {
    ditto_model_info mi;
    ditto_engine_info(e, &mi);
    char buf[512];
    std::snprintf(buf, sizeof buf, "{\"kind\": \"%s\", \"name\": \"%s\", \"cc\": \"%d.%d\", \"memory_bytes\": %lld, \"gemm\": \"%s\"}", mi.device.kind,
                  mi.device.name, mi.device.cc_major, mi.device.cc_minor, (long long)mi.device.memory_bytes, mi.device.gemm);
    return buf;
}

// One model: same perturbed LoRA weights on both engines, one step's gradients compared per
// tensor (largest difference over the tensor's largest CPU value), then 20 AdamW steps each.
std::string parityCase(const std::string& label, const ModelShape& shape, WeightType type, const std::string& work, int gpuDevice, int seqLen, int steps) {
    std::string path = work + "/parity-" + label + ".gguf";
    RandomGgufWriter(shape, type, 11).write(path);
    Engine cpu(path, DITTO_DEVICE_CPU, 8, 4096), gpu(path, gpuDevice, 8, 4096);
    int64_t n = ditto_engine_n_params(cpu.e);
    std::vector<float> w(ditto_engine_weights(cpu.e), ditto_engine_weights(cpu.e) + n);
    for (int64_t i = 0; i < n; i++) w[i] += 0.05f * std::sin((float)i);
    std::copy(w.begin(), w.end(), ditto_engine_weights(cpu.e));
    std::copy(w.begin(), w.end(), ditto_engine_weights(gpu.e));
    Batch b = makeBatch(2, seqLen, shape.nVocab, 3);
    int64_t tc = 0, tg = 0;
    double lc = accumulate(cpu, b, &tc), lg = accumulate(gpu, b, &tg);
    std::vector<float> gc(ditto_engine_grads(cpu.e), ditto_engine_grads(cpu.e) + n);
    std::vector<float> gg(ditto_engine_grads(gpu.e), ditto_engine_grads(gpu.e) + n);
    double worst = 0;
    std::string worstName, tensors;
    static const char* const names[] = {"q", "k", "v", "o", "gate", "up", "down"};
    for (int p = 0; p < ditto_engine_n_pairs(cpu.e); p++) {
        ditto_lora_pair pr;
        ditto_engine_pair(cpu.e, p, &pr);
        int64_t spans[2][2] = {{pr.offset_a, pr.offset_a + (int64_t)8 * pr.n_in}, {pr.offset_b, pr.offset_b + (int64_t)8 * pr.n_out}};
        for (int ab = 0; ab < 2; ab++) {
            double diff = 0, ref = 0;
            for (int64_t i = spans[ab][0]; i < spans[ab][1]; i++) {
                diff = std::max(diff, (double)std::fabs(gg[i] - gc[i]));
                ref = std::max(ref, (double)std::fabs(gc[i]));
            }
            double rel = ref > 0 ? diff / ref : (diff > 0 ? INFINITY : 0);
            std::string name = "blk." + std::to_string(pr.layer) + "." + names[pr.target] + (ab ? ".lora_b" : ".lora_a");
            char item[160];
            std::snprintf(item, sizeof item, "%s\"%s\": %.3e", tensors.empty() ? "" : ", ", name.c_str(), rel);
            tensors += item;
            if (!(rel <= worst)) { worst = rel; worstName = name; }
        }
    }
    std::string curves[2];
    Engine* engines[2] = {&cpu, &gpu};
    optimizerStep(cpu, tc);
    optimizerStep(gpu, tg);
    for (int k = 0; k < 2; k++) {
        for (int s = 0; s < steps; s++) {
            int64_t t = 0;
            double loss = accumulate(*engines[k], b, &t);
            optimizerStep(*engines[k], t);
            char v[32];
            std::snprintf(v, sizeof v, "%s%.5f", s ? ", " : "", loss / (double)t);
            curves[k] += v;
        }
    }
    std::fprintf(stderr, "parity %-12s loss cpu %.5f gpu %.5f, worst gradient %.3e (%s)\n", label.c_str(), lc / tc, lg / tg, worst, worstName.c_str());
    char head[512];
    std::snprintf(head, sizeof head, "{\"model\": \"%s\", \"loss_cpu\": %.6f, \"loss_gpu\": %.6f, \"worst_gradient_rel\": %.4e, \"worst_tensor\": \"%s\", ",
                  label.c_str(), lc / tc, lg / tg, worst, worstName.c_str());
    std::remove(path.c_str());
    return std::string(head) + "\"device\": " + deviceJson(gpu.e) + ", \"gradients\": {" + tensors + "}, \"loss_curve_cpu\": [" + curves[0] +
           "], \"loss_curve_gpu\": [" + curves[1] + "]}";
}

int parity(const std::string& work, int gpuDevice, bool small) {
    std::vector<std::string> cases;
    for (const char* arch : {"llama", "qwen2", "qwen3"}) {
        ModelShape s;
        s.arch = arch;
        s.headDim = std::string(arch) == "qwen3" ? 32 : 16;
        cases.push_back(parityCase(std::string("tiny-") + arch, s, WeightType::F32, work, gpuDevice, 48, small ? 3 : 20));
    }
    if (!small) {
        ModelShape mid;  // a mid-size model: products cross every tile edge, attention spans many tiles
        mid.arch = "qwen2";
        mid.nLayer = 4; mid.nEmbd = 1024; mid.nHead = 16; mid.nHeadKv = 4; mid.headDim = 64; mid.nFf = 2816; mid.nVocab = 32000;
        cases.push_back(parityCase("mid-qwen2-bf16", mid, WeightType::BF16, work, gpuDevice, 512, 20));
        mid.arch = "qwen3";
        mid.headDim = 128;
        cases.push_back(parityCase("mid-qwen3-q8_0", mid, WeightType::Q8_0, work, gpuDevice, 512, 20));
    }
    std::printf("{\"parity\": [");
    for (size_t i = 0; i < cases.size(); i++) std::printf("%s%s", i ? ",\n  " : "\n  ", cases[i].c_str());
    std::printf("]}\n");
    return 0;
}

// Qwen2.5-7B shapes, LoRA r16 on all seven, seq 2048. The micro-batch halves until it fits.
int bench(const std::string& work, int gpuDevice, WeightType type, int batch, int steps, bool small) {
    ModelShape s;
    s.arch = "qwen2";
    if (small) { s.nLayer = 2; s.nEmbd = 256; s.nHead = 4; s.nHeadKv = 2; s.headDim = 64; s.nFf = 512; s.nVocab = 4096; }
    else { s.nLayer = 28; s.nEmbd = 3584; s.nHead = 28; s.nHeadKv = 4; s.headDim = 128; s.nFf = 18944; s.nVocab = 152064; }
    const int seqLen = small ? 128 : 2048;
    std::string path = work + (type == WeightType::Q8_0 ? "/bench-7b-q8_0.gguf" : "/bench-7b-bf16.gguf");
    auto t0 = std::chrono::steady_clock::now();
    RandomGgufWriter(s, type, 5).write(path);
    double writeS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "bench: wrote %s in %.1f s\n", path.c_str(), writeS);
    ditto_device_info dev{};
    char probeErr[1024];
    if (ditto_cuda_probe(gpuDevice == DITTO_DEVICE_CUDA_EMULATED, &dev, probeErr, sizeof probeErr)) fail("cuda", probeErr);
    // keep activations in up to 45% of the GPU's memory, recompute the rest
    double budgetMb = (double)dev.memory_bytes * 0.45 / 1048576.0;
    if (small) budgetMb = 256;
    for (; batch >= 1; batch /= 2) {
        t0 = std::chrono::steady_clock::now();
        Engine e(path, gpuDevice, 16, budgetMb);
        double openS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        Batch b = makeBatch(batch, seqLen, s.nVocab, 9);
        char err[2048];
        double loss;
        int64_t tokens;
        bool fits = true;
        std::vector<double> times;
        for (int step = 0; step < steps + 2 && fits; step++) {
            auto s0 = std::chrono::steady_clock::now();
            if (ditto_engine_accumulate(e.e, b.batch, b.seqLen, b.tokens.data(), b.targets.data(), b.segments.data(), &loss, &tokens, err, sizeof err)) {
                if (std::strstr(err, "out of GPU memory")) { std::fprintf(stderr, "bench: batch %d does not fit (%s)\n", batch, err); fits = false; break; }
                fail("accumulate", err);
            }
            optimizerStep(e, tokens);
            double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
            std::fprintf(stderr, "bench: batch %d step %d %.3f s loss %.4f\n", batch, step, dt, loss / (double)tokens);
            if (step >= 2) times.push_back(dt);
        }
        if (!fits) continue;
        std::sort(times.begin(), times.end());
        double median = times[times.size() / 2];
        double tps = (double)batch * seqLen / median;
        std::printf("{\"bench\": {\"type\": \"%s\", \"shape\": \"%s\", \"seq\": %d, \"batch\": %d, \"rank\": 16, \"targets\": \"q,k,v,o,gate,up,down\", "
                    "\"activation_budget_mb\": %.0f, \"open_seconds\": %.1f, \"median_step_seconds\": %.4f, \"tokens_per_s\": %.1f, \"device\": %s}}\n",
                    type == WeightType::Q8_0 ? "q8_0" : "bf16", small ? "small" : "qwen2.5-7b", seqLen, batch, budgetMb, openS, median, tps,
                    deviceJson(e.e).c_str());
        std::remove(path.c_str());
        return 0;
    }
    std::remove(path.c_str());
    std::fprintf(stderr, "bench: not even batch 1 fits\n");
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) { std::fprintf(stderr, "usage: device_check parity|bench [options]\n"); return 2; }
    std::string mode = argv[1], work = "/tmp", type = "q8_0";
    int device = DITTO_DEVICE_CUDA, batch = 8, steps = 5;
    bool small = false;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        auto value = [&]() -> std::string { if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", a.c_str()); std::exit(2); } return argv[++i]; };
        if (a == "--emulated") device = DITTO_DEVICE_CUDA_EMULATED;
        else if (a == "--work") work = value();
        else if (a == "--type") type = value();
        else if (a == "--batch") batch = std::atoi(value().c_str());
        else if (a == "--steps") steps = std::atoi(value().c_str());
        else if (a == "--small") small = true;
        else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
    }
    if (mode == "parity") return parity(work, device, small);
    if (mode == "bench") return bench(work, device, type == "bf16" ? WeightType::BF16 : WeightType::Q8_0, batch, steps, small);
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
}
