// gemm_v8_threaded.cpp: rung 8: the best micro-kernel on several cores, threads over the outer loops.
//
// What changes over rungs 6/7: the 3rd loop (ic, blocks of MC rows of A and C) runs in parallel.
// Each (jc, pc) iteration first packs the KC x NC panel of B once, the threads sharing the work
// (each packs a range of NR slivers), and then the threads take MC-row blocks: each packs its own
// block of A into its own buffer and runs the macro-kernel on its own rows of C. No two threads
// write the same element of C, so there are no locks, only the join at the end of each pc step
// (the next panel of B overwrites the shared buffer). Every core has its own L1/L2 for its A block
// and they share the B panel in L3, which is how BLIS parallelises on multicore CPUs (Smith et al.,
// "Anatomy of high-performance many-threaded matrix multiplication", 2014).
// The MC blocks are evened out so that each thread gets the same number of rows.
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "gb/core/thread_pool.hpp"
#include "gemm_internal.hpp"

namespace gb::kernels::detail {

// One pool per thread count, made on first use and kept (starting threads costs ~50 us per call).
ThreadPool& pool_of(int threads) {
  static std::mutex mutex;
  static std::map<int, std::unique_ptr<ThreadPool>> pools;
  std::lock_guard<std::mutex> lock(mutex);
  auto& pool = pools[threads];
  if (!pool) pool = std::make_unique<ThreadPool>(static_cast<std::size_t>(threads));
  return *pool;
}

void gemm_threaded(const GemmArgs& g, const MicroKernel& kernel) {
  const int threads = g.threads > 0 ? g.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (threads == 1) return gemm_five_loops(g, kernel);
  ThreadPool& pool = pool_of(threads);
  const MatrixView a = op_a(g), b = op_b(g);
  const Blocking& blk = g.blocking;
  const std::int64_t mr = kernel.mr, nr = kernel.nr;
  // Blocks of rows: at least one per thread, a multiple of the thread count, MR-aligned.
  std::int64_t blocks = (g.m + blk.mc - 1) / blk.mc;
  blocks = (blocks + threads - 1) / threads * threads;
  const std::int64_t mc_even = ((g.m + blocks - 1) / blocks + mr - 1) / mr * mr;
  const std::int64_t m_blocks = (g.m + mc_even - 1) / mc_even;
  const std::int64_t kc_max = std::min(blk.kc, g.k);

  thread_local AlignedFloats b_buffer;  // the caller's: shared by the workers during one pc step
  const std::int64_t nc_max = std::min(blk.nc, g.n);
  float* b_packed = b_buffer.get(static_cast<std::size_t>((nc_max + nr - 1) / nr * nr * kc_max));
  for (std::int64_t jc = 0; jc < g.n; jc += blk.nc) {        // 5th loop
    const std::int64_t nc = std::min(blk.nc, g.n - jc);
    for (std::int64_t pc = 0; pc < g.k; pc += blk.kc) {      // 4th loop
      const std::int64_t kc = std::min(blk.kc, g.k - pc);
      const std::int64_t slivers = (nc + nr - 1) / nr;
      pool.parallel_for(slivers, [&](std::int64_t s0, std::int64_t s1) {  // pack B together
        const std::int64_t j0 = s0 * nr, j1 = std::min(nc, s1 * nr);
        pack_b(b, pc, jc + j0, kc, j1 - j0, nr, b_packed + j0 * kc);
      });
      pool.parallel_for(m_blocks, [&](std::int64_t first, std::int64_t last) {  // 3rd loop, split
        thread_local AlignedFloats a_buffer;  // each thread's own block of A
        float* a_packed = a_buffer.get(static_cast<std::size_t>(mc_even * kc_max));
        for (std::int64_t block = first; block < last; ++block) {
          const std::int64_t ic = block * mc_even, mc = std::min(mc_even, g.m - ic);
          pack_a(a, ic, pc, mc, kc, mr, a_packed);
          macro_kernel(kernel, mc, nc, kc, g.alpha, a_packed, b_packed, g.c + ic * g.ldc + jc, g.ldc);
        }
      });
    }
  }
}

}  // namespace gb::kernels::detail
