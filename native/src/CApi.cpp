// The C API over Engine: exceptions become -1 plus a message in the caller's buffer.
#include <cstdio>
#include <cstring>
#include <exception>

#include "../include/ditto_engine.h"
#include "Engine.h"
#include "Gemm.h"

struct ditto_engine {
    ditto::Engine engine;
    explicit ditto_engine(const ditto::EngineOptions& o) : engine(o) {}
};

static void writeError(char* err, size_t size, const char* message) {
    if (err && size) std::snprintf(err, size, "%s", message);
}

template <typename F> static int guarded(char* err, size_t size, F&& fn) {
    try {
        fn();
        return 0;
    } catch (const std::bad_alloc&) {
        writeError(err, size, "out of memory in the training engine (an allocation failed); lower --batch-size, --seq-len, --activation-memory or the LoRA rank, or close other programs");
    } catch (const std::exception& e) {
        writeError(err, size, e.what());
    } catch (...) {
        writeError(err, size, "unknown error in the training engine");
    }
    return -1;
}

extern "C" {

ditto_engine* ditto_engine_open(const ditto_open_options* o, char* err, size_t errSize) {
    ditto_engine* out = nullptr;
    guarded(err, errSize, [&] {
        ditto::EngineOptions eo;
        eo.modelPath = o->model_path ? o->model_path : "";
        eo.rank = o->rank;
        eo.alpha = o->alpha;
        eo.dropout = o->dropout;
        eo.targets = o->targets;
        eo.threads = o->threads;
        eo.seed = o->seed;
        eo.activationBudgetBytes = o->activation_budget_mb > 0 ? (size_t)(o->activation_budget_mb * 1048576.0) : 0;
        out = new ditto_engine(eo);
    });
    return out;
}

void ditto_engine_close(ditto_engine* e) { delete e; }

void ditto_engine_info(const ditto_engine* e, ditto_model_info* info) {
    const ditto::HParams& hp = e->engine.hparams();
    std::memset(info, 0, sizeof(*info));
    std::snprintf(info->arch, sizeof(info->arch), "%s", hp.archName.c_str());
    info->n_layer = hp.nLayer; info->n_embd = hp.nEmbd; info->n_head = hp.nHead; info->n_head_kv = hp.nHeadKv;
    info->head_dim = hp.headDim; info->n_ff = hp.nFf; info->n_vocab = hp.nVocab;
    info->rope_base = (float)hp.rope.base; info->norm_eps = (float)hp.normEps;
    info->tied_output = hp.tiedOutput ? 1 : 0;
    info->lora_parameters = (int64_t)e->engine.weights.size();
}

int ditto_engine_accumulate(ditto_engine* e, int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments,
                            double* lossSum, int64_t* lossTokens, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        ditto::LossResult r = e->engine.accumulate(batch, seqLen, tokens, targets, segments);
        *lossSum = r.lossSum;
        *lossTokens = r.tokens;
    });
}

int ditto_engine_evaluate(ditto_engine* e, int batch, int seqLen, const int32_t* tokens, const int32_t* targets, const int32_t* segments,
                          double* lossSum, int64_t* lossTokens, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        ditto::LossResult r = e->engine.evaluate(batch, seqLen, tokens, targets, segments);
        *lossSum = r.lossSum;
        *lossTokens = r.tokens;
    });
}

int ditto_engine_optimizer_step(ditto_engine* e, const ditto_adamw* s, double* gradNorm, char* err, size_t errSize) {
    return guarded(err, errSize, [&] {
        *gradNorm = e->engine.optimizerStep({s->lr, s->beta1, s->beta2, s->eps, s->weight_decay, s->clip, s->grad_scale});
    });
}

int ditto_engine_logits(ditto_engine* e, int n, const int32_t* tokens, float* out, char* err, size_t errSize) {
    return guarded(err, errSize, [&] { e->engine.logits(n, tokens, out); });
}

int64_t ditto_engine_n_params(const ditto_engine* e) { return (int64_t)e->engine.weights.size(); }
float* ditto_engine_weights(ditto_engine* e) { return e->engine.weights.data(); }
float* ditto_engine_grads(ditto_engine* e) { return e->engine.grads.data(); }
float* ditto_engine_adam_m(ditto_engine* e) { return e->engine.adamM.data(); }
float* ditto_engine_adam_v(ditto_engine* e) { return e->engine.adamV.data(); }
int64_t ditto_engine_get_step(const ditto_engine* e) { return e->engine.step; }
void ditto_engine_set_step(ditto_engine* e, int64_t step) { e->engine.step = step; }
uint64_t ditto_engine_get_rng(const ditto_engine* e) { return e->engine.rng; }
void ditto_engine_set_rng(ditto_engine* e, uint64_t rng) { e->engine.rng = rng; }
int ditto_engine_n_pairs(const ditto_engine* e) { return (int)e->engine.pairs().size(); }

void ditto_engine_pair(const ditto_engine* e, int index, ditto_lora_pair* pair) {
    const ditto::LoraPairInfo& p = e->engine.pairs().at(index);
    *pair = {p.layer, p.target, p.nIn, p.nOut, p.offA, p.offB};
}

const char* ditto_gemm_kernel(void) { return ditto::gemmKernelName(); }

}  // extern "C"
