// bindings.hpp: what the binding files of the `glassbox._glassbox` extension (one per module, *_bindings.cpp) share.
//
// Reading order: module.cpp (the module, its submodules and the exception mapping), then
// tensor_bindings.cpp (NumPy <-> gb::Tensor, zero-copy both ways; ops), trace_bindings.cpp
// (Recordings as JSON text, which glassbox/trace.py turns into dicts), lessons_bindings.cpp; then one
// file per module, declared below.
#pragma once

#include <pybind11/pybind11.h>

#include <map>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::compress {
struct ModelCost;
}

namespace gb::python {

namespace py = pybind11;

void bind_tensor(py::module_& core);    // tensor_bindings.cpp
void bind_trace(py::module_& trace);    // trace_bindings.cpp
void bind_lessons(py::module_& lessons);  // lessons_bindings.cpp
void bind_autodiff(py::module_& autodiff);  // autodiff_bindings.cpp: scalar expressions, four modes
void bind_autograd(py::module_& m);       // autograd_bindings.cpp: reverse-mode tensors (gb.autograd.Variable)
void bind_kernels(py::module_& kernels);  // kernels_bindings.cpp: the GEMM ladder, memory layouts
void bind_graph(py::module_& graph);      // graph_bindings.cpp: graphs, scripts, tracing (lessons 06-09)
void bind_nn(py::module_& nn);            // nn_bindings.cpp: layers, functional, losses (gb.nn)
void bind_nn_training(py::module_& nn);   // nn_train_bindings.cpp: optimizers, digits data, training, checkpoints
void bind_quant(py::module_& quant);          // quant_bindings.cpp: qparams, fixed point, calibration, PTQ/QAT (gb.quant)
void bind_quant_kernels(py::module_& quant);  // quant_kernel_bindings.cpp: qgemm, qconv2d (gb.quant)
void bind_quant_models(py::module_& quant);   // quant_model_bindings.cpp: PTQ, QAT, the accuracy report (gb.quant)
void bind_compress_prune(py::module_& compress);    // compress_prune_bindings.cpp: masks, schedules, filters, CSR (gb.compress)
void bind_compress_distill(py::module_& compress);  // compress_distill_bindings.cpp: temperature, distillation, the report (gb.compress)
void bind_parallel_collectives(py::module_& parallel);  // parallel_collectives_bindings.cpp: simulator, collectives, allreduce_cost
void bind_parallel_data(py::module_& parallel);         // parallel_data_bindings.cpp: DDP buckets, ZeRO memory (gb.parallel)
void bind_parallel_pipeline(py::module_& parallel);     // parallel_pipeline_bindings.cpp: pipeline schedules (gb.parallel)
void bind_parallel_tensor(py::module_& parallel);       // parallel_tensor_bindings.cpp: tensor parallel (gb.parallel)
void bind_parallel_auto(py::module_& parallel);         // parallel_auto_bindings.cpp: layouts, redistribution, strategy search
void bind_parallel_sim(py::module_& parallel);          // parallel_sim_bindings.cpp: hybrid runs, gb.parallel.simulate
void bind_convert(py::module_& convert);  // convert_bindings.cpp: ONNX import/export, glassbox format, wire format
void bind_passes(py::module_& passes);    // passes_bindings.cpp: optimisation passes, memory plans (gb.passes)
// A ModelCost as {parameters, nonzero_parameters, macs} (compress_prune_bindings.cpp; the report uses it too).
py::dict model_cost_dict(const compress::ModelCost& cost);

// NumPy array (or anything np.asarray accepts) -> Tensor. copy: None = zero-copy when the array's
// layout allows it (else a copy), True = always copy, False = zero-copy or gb::Error.
Tensor tensor_from_python(py::handle object, py::handle copy);
// A NumPy array viewing the tensor's storage (no copy); its base keeps `self` (a Python Tensor) alive.
py::object tensor_to_numpy(py::handle self);
// Feeds by placeholder name (each value copied into a Tensor, dtype as given) and outputs as NumPy arrays
// (convert_bindings.cpp; the passes bindings run graphs too).
std::map<std::string, Tensor> feeds_of(const py::dict& feeds);
py::list arrays_of(const std::vector<Tensor>& outputs);

}  // namespace gb::python
