#include "MergeFileWriter.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "GgufFile.h"
#include "MergeDecode.h"
#include "MergeTensor.h"

namespace ditto {

#ifndef O_DIRECT
#define O_DIRECT 0  // not Linux: writes go through the page cache, with the same bytes
#endif

// Linux 5.14's MADV_POPULATE_READ, named here for older headers; an older kernel answers EINVAL and
// the pages fault in as they are read, as without it
constexpr int madvPopulateRead = 22;

std::unique_ptr<MergeFileWriter> MergeFileWriter::open(const std::string& outPath, const std::string& basePath, bool direct,
                                                       int64_t chunk, Failure& failure) {
    std::unique_ptr<MergeFileWriter> w(new MergeFileWriter());
    if (chunk < 0 || chunk % directAlign) {
        failure = Failure{"open", outPath, "the staging chunk must be a multiple of 4096 bytes", EINVAL};
        return nullptr;
    }
    if (chunk) w->chunkBytes = chunk;
    w->outPath = outPath;
    w->basePath = basePath;
    auto refuse = [&](const char* syscall, const std::string& path) {
        failure = Failure{syscall, path, std::strerror(errno), errno};
        return nullptr;
    };
    w->baseFd = ::open(basePath.c_str(), O_RDONLY | O_CLOEXEC);
    if (w->baseFd < 0) return refuse("open", basePath);
    struct stat st;
    if (fstat(w->baseFd, &st) != 0) return refuse("stat", basePath);
    w->mapLen = st.st_size;
    if (w->mapLen > 0) {
        void* m = mmap(nullptr, (size_t)w->mapLen, PROT_READ, MAP_SHARED, w->baseFd, 0);
        if (m == MAP_FAILED) return refuse("mmap", basePath);
        w->map = static_cast<const uint8_t*>(m);
        // read ahead far and drop pages behind: the base is read once, front to back
        madvise(m, (size_t)w->mapLen, MADV_SEQUENTIAL);
    }
    int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    if (direct) {
        w->outFd = ::open(outPath.c_str(), flags | O_DIRECT, 0644);
        w->direct = w->outFd >= 0;
        // EINVAL: the file system has no O_DIRECT (tmpfs); anything else is reported by the plain open
    }
    if (w->outFd < 0) w->outFd = ::open(outPath.c_str(), flags, 0644);
    if (w->outFd < 0) return refuse("open", outPath);
    void* staging = nullptr;
    if (posix_memalign(&staging, (size_t)directAlign, (size_t)(nChunks * w->chunkBytes)) != 0) {
        errno = ENOMEM;
        return refuse("malloc", outPath);
    }
    w->staging = static_cast<uint8_t*>(staging);
    for (int c = nChunks - 1; c >= 0; c--) w->freeChunks.push_back(c);
    w->writer = std::thread([p = w.get()] { p->writerLoop(); });
    return w;
}

MergeFileWriter::~MergeFileWriter() {
    if (outFd >= 0) {
        // not finished (an error, or the caller gave up): the chunks still queued are dropped
        std::lock_guard<std::mutex> lock(mutex);
        ioFailed = true;
    }
    stopWriter();
    if (outFd >= 0) ::close(outFd);
    if (map) munmap(const_cast<uint8_t*>(map), (size_t)mapLen);
    if (baseFd >= 0) ::close(baseFd);
    std::free(staging);
}

void MergeFileWriter::stopWriter() {
    if (!writer.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mutex);
        stopping = true;
    }
    wake.notify_all();
    writer.join();
}

void MergeFileWriter::fail(const char* syscall, int errnum, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex);
    if (ioFailed) return;
    ioFailed = true;
    failed = Failure{syscall, syscall == std::string("read") ? basePath : outPath, message.empty() ? std::strerror(errnum) : message,
                     errnum};
    freed.notify_all();
}

void MergeFileWriter::writerLoop() {
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [&] { return stopping || !jobs.empty(); });
            if (jobs.empty()) return;
            job = jobs.front();
            jobs.pop_front();
        }
        const uint8_t* p = staging + job.chunk * chunkBytes;
        // O_DIRECT takes whole blocks: the last chunk is written rounded up, and finish() cuts the file
        int64_t length = direct ? (job.length + directAlign - 1) / directAlign * directAlign : job.length;
        if (length > job.length) std::memset(const_cast<uint8_t*>(p) + job.length, 0, (size_t)(length - job.length));
        for (int64_t done = 0; done < length;) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (ioFailed) break;
            }
            ssize_t n = pwrite(outFd, p + done, (size_t)(length - done), (off_t)(job.offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EINVAL && direct) {
                // a file system that opens with O_DIRECT but refuses its writes (or a short write left
                // an unaligned rest): the rest goes through the page cache; finish() cuts the padding
                if (fcntl(outFd, F_SETFL, fcntl(outFd, F_GETFL) & ~O_DIRECT) == 0) {
                    direct = false;
                    continue;
                }
            }
            if (n <= 0) {
                fail("write", n < 0 ? errno : ENOSPC);
                break;
            }
            done += n;
        }
        {
            std::lock_guard<std::mutex> lock(mutex);
            freeChunks.push_back(job.chunk);
        }
        freed.notify_all();
    }
}

bool MergeFileWriter::reserve() {
    std::unique_lock<std::mutex> lock(mutex);
    if (ioFailed) return false;
    if (current >= 0) return true;
    freed.wait(lock, [&] { return ioFailed || !freeChunks.empty(); });
    if (ioFailed) return false;
    current = freeChunks.back();
    freeChunks.pop_back();
    filled = 0;
    return true;
}

void MergeFileWriter::submit(int64_t length) {
    {
        std::lock_guard<std::mutex> lock(mutex);
        jobs.push_back(Job{current, appended - filled, length});
    }
    wake.notify_all();
    current = -1;
    filled = 0;
}

void MergeFileWriter::advance(int64_t n) {
    filled += n;
    appended += n;
    if (filled == chunkBytes) submit(chunkBytes);
}

bool MergeFileWriter::append(const uint8_t* bytes, int64_t n) {
    while (n > 0) {
        if (!reserve()) return false;
        int64_t k = std::min(n, chunkBytes - filled);
        if (bytes) std::memcpy(staging + current * chunkBytes + filled, bytes, (size_t)k);
        else std::memset(staging + current * chunkBytes + filled, 0, (size_t)k);
        advance(k);
        if (bytes) bytes += k;
        n -= k;
    }
    return reserve();
}

bool MergeFileWriter::appendZeros(int64_t n) { return append(nullptr, n); }

bool MergeFileWriter::baseRange(int64_t offset, int64_t n) {
    if (offset >= 0 && n >= 0 && offset <= mapLen && n <= mapLen - offset) return true;
    fail("read", 0, "the file ends at byte " + std::to_string(mapLen) + ", before the tensor's " + std::to_string(n) +
                        " bytes from offset " + std::to_string(offset));
    return false;
}

// The base's pages from offset to offset + n: populated (mapped in, read from disk if need be) before
// use, and unmapped from this process after (MADV_DONTNEED; they stay in the page cache), so its
// resident set stays flat instead of growing to the model's size.
void MergeFileWriter::adviseBase(int64_t offset, int64_t n, int advice) {
    if (n <= 0) return;
    int64_t start = offset & ~(int64_t)4095;
    madvise(const_cast<uint8_t*>(map) + start, (size_t)(offset + n - start), advice);
}

bool MergeFileWriter::copyBase(int64_t offset, int64_t n) {
    if (!baseRange(offset, n)) return false;
    adviseBase(offset, n, madvPopulateRead);
    bool ok = append(map + offset, n);
    adviseBase(offset, n, MADV_DONTNEED);
    return ok;
}

int MergeFileWriter::mergeBase(ThreadPool* pool, GemmIsa isa, int64_t offset, int baseType, const float* a, const float* b,
                               int64_t nOut, int64_t nIn, int rank, double factor, int outType) {
    int64_t inRow = baseType == GGML_F32 ? nIn * 4 : (int64_t)mergeDecodeBytes(baseType, nIn);
    int64_t outRow = mergeTensorOutBytes(outType, nIn);
    if (nOut < 0 || nIn <= 0 || inRow == 0 || outRow == 0) return -2;
    if (!baseRange(offset, nOut * inRow)) return -1;
    const uint8_t* base = map + offset;
    // One parallel pass over the base rows before any merging: their pages are mapped in (one
    // MADV_POPULATE_READ per block instead of a page fault per 64 KB inside the merge), and the whole
    // matrix is checked before its first byte is appended, so a refusal appends nothing.
    int64_t rowsPerTask = std::max<int64_t>(1, (1 << 20) / inRow);
    int nTasks = (int)((nOut + rowsPerTask - 1) / rowsPerTask);
    std::vector<char> ok((size_t)nTasks, 1);
    auto prepare = [&](int t, int) {
        int64_t r0 = t * rowsPerTask, n = std::min(rowsPerTask, nOut - r0);
        adviseBase(offset + r0 * inRow, n * inRow, madvPopulateRead);
        if (baseType != GGML_F32) ok[t] = mergeDecodeAccepts(baseType, base + r0 * inRow, n * nIn);
    };
    if (pool) pool->parallelFor(nTasks, prepare);
    else for (int t = 0; t < nTasks; t++) prepare(t, 0);
    if (std::find(ok.begin(), ok.end(), 0) != ok.end()) return 0;
    for (int64_t r = 0; r < nOut;) {
        if (!reserve()) return -1;
        int64_t fit = std::min((chunkBytes - filled) / outRow, nOut - r);
        if (fit == 0) {
            // a row across two chunks: merged aside, then copied in two parts
            rowScratch.resize((size_t)outRow);
            if (!mergeTensor(pool, isa, baseType, base + r * inRow, a, b + r * rank, 1, nIn, rank, factor, outType, rowScratch.data()))
                return refusedAfterCheck();
            if (!append(rowScratch.data(), outRow)) return -1;
            r++;
            continue;
        }
        if (!mergeTensor(pool, isa, baseType, base + r * inRow, a, b + r * rank, fit, nIn, rank, factor, outType,
                         staging + current * chunkBytes + filled))
            return refusedAfterCheck();
        advance(fit * outRow);
        r += fit;
    }
    adviseBase(offset, nOut * inRow, MADV_DONTNEED);
    return reserve() ? 1 : -1;
}

int MergeFileWriter::refusedAfterCheck() {
    fail("merge", 0, "a base value passed mergeDecodeAccepts but decodeForMerge refused it");
    return -1;
}

bool MergeFileWriter::finish() {
    if (current >= 0 && filled > 0) submit(filled);
    stopWriter();
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (ioFailed) return false;
    }
    auto sysFail = [&](const char* syscall) {
        failed = Failure{syscall, outPath, std::strerror(errno), errno};
        ioFailed = true;
        return false;
    };
    // the last chunk went out whole blocks long if it went with O_DIRECT
    if (ftruncate(outFd, (off_t)appended) != 0) return sysFail("ftruncate");
    if (fsync(outFd) != 0) return sysFail("fsync");
    int fd = outFd;
    outFd = -1;
    if (::close(fd) != 0) return sysFail("close");
    return true;
}

}  // namespace ditto
