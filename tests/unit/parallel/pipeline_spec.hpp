// pipeline_spec.hpp: the PipelineSpec the pipeline tests build again and again (uniform stages, free messages).
#pragma once

#include "gb/parallel/pipeline.hpp"

namespace gb_pipeline_test {

inline gb::parallel::PipelineSpec spec(gb::parallel::Schedule schedule, int p, int m, int v = 1, bool recompute = false) {
  gb::parallel::PipelineSpec out;
  out.schedule = schedule;
  out.stages = p;
  out.microbatches = m;
  out.chunks = v;
  out.recompute = recompute;
  return out;
}

}  // namespace gb_pipeline_test
