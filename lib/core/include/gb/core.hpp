// core.hpp: everything in gb_core with one include.
#pragma once
#include "gb/core/dtype.hpp"
#include "gb/core/error.hpp"
#include "gb/core/math.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/print.hpp"
#include "gb/core/rng.hpp"
#include "gb/core/shape.hpp"
#include "gb/core/tensor.hpp"
#include "gb/core/thread_pool.hpp"
