// trace.hpp: everything in gb_trace with one include.
#pragma once
#include "gb/trace/export.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/recorder.hpp"
#include "gb/trace/recording.hpp"
#include "gb/trace/replay.hpp"
#include "gb/trace/tensor_scene.hpp"
