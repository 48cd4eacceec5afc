// The merged GGUF of `ditto adapter merge`, written in one pass: the base model is read through a
// read-only map (no copy into the heap, no fresh pages to fault per tensor), adapted matrices are
// merged row block by row block straight into aligned staging chunks, and a background thread
// writes the chunks, with O_DIRECT where the file system allows it (no copy into the page cache
// and no gigabytes of dirty pages for the final fsync to flush), so merging one chunk overlaps
// writing the one before.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "GemmKernels.h"
#include "ThreadPool.h"

namespace ditto {

class MergeFileWriter {
public:
    // What went wrong: the failing call ("open", "mmap", "write", "ftruncate", "fsync", "close")
    // and its errno, or errnum 0 with a message for a base file too short for a tensor.
    struct Failure {
        std::string syscall, path, message;
        int errnum = 0;
    };

    // Opens basePath for reading and creates outPath (truncating it); direct: try O_DIRECT, and
    // fall back to buffered writes where the file system refuses it (tmpfs). chunk: bytes of each
    // staging chunk, a multiple of 4096 (0: 16 MiB; small ones let tests cross chunk boundaries).
    // Null with `failure` set when a file cannot be opened or mapped.
    static std::unique_ptr<MergeFileWriter> open(const std::string& outPath, const std::string& basePath, bool direct,
                                                 int64_t chunk, Failure& failure);
    ~MergeFileWriter();
    MergeFileWriter(const MergeFileWriter&) = delete;
    MergeFileWriter& operator=(const MergeFileWriter&) = delete;

    // Each returns false once the writer has failed (see failure()); nothing is written after.
    bool append(const uint8_t* bytes, int64_t n);
    bool appendZeros(int64_t n);
    // n bytes of the base file from offset
    bool copyBase(int64_t offset, int64_t n);
    // The merged matrix of mergeTensor (decode(base at offset) + factor B A, encoded as outType),
    // appended. 1: done; 0: a base value is refused as by decodeForMerge, nothing appended (merge
    // that matrix another way); -1: failed (failure()); -2: a type or an nIn mergeTensor does not take.
    int mergeBase(ThreadPool* pool, GemmIsa isa, int64_t offset, int baseType, const float* a, const float* b, int64_t nOut,
                  int64_t nIn, int rank, double factor, int outType);
    // Writes what is left, cuts the file to its length, fsyncs and closes it. False on failure.
    bool finish();

    const Failure& failure() const { return failed; }
    bool directIo() const { return direct; }
    int64_t bytesAppended() const { return appended; }
    int64_t baseBytes() const { return mapLen; }

private:
    MergeFileWriter() = default;
    // space left in the chunk being filled, taking a free chunk first if there is none
    bool reserve();
    // the chunk being filled has `filled` more bytes; hands it to the writer thread when full
    void advance(int64_t n);
    void submit(int64_t length);
    bool baseRange(int64_t offset, int64_t n);
    int refusedAfterCheck();
    void adviseBase(int64_t offset, int64_t n, int advice);
    void fail(const char* syscall, int errnum, const std::string& message = "");
    void writerLoop();
    void stopWriter();

    int64_t chunkBytes = 16 << 20;
    static constexpr int nChunks = 4;
    static constexpr int64_t directAlign = 4096;

    std::string outPath, basePath;
    int outFd = -1, baseFd = -1;
    std::atomic<bool> direct{false};  // cleared by the writer thread if the file system refuses O_DIRECT writes
    const uint8_t* map = nullptr;
    int64_t mapLen = 0;

    uint8_t* staging = nullptr;  // nChunks x chunkBytes, aligned for O_DIRECT
    int current = -1;            // chunk being filled, -1 for none
    int64_t filled = 0;          // bytes in it
    int64_t appended = 0;        // bytes appended in all

    struct Job { int chunk; int64_t offset, length; };
    std::mutex mutex;
    std::condition_variable wake, freed;
    std::deque<Job> jobs;
    std::vector<int> freeChunks;
    bool stopping = false;
    bool ioFailed = false;  // set by the writer thread, under the mutex
    Failure failed;         // written under the mutex
    std::thread writer;
    std::vector<uint8_t> rowScratch;  // one merged row that straddles two chunks
};

}  // namespace ditto
