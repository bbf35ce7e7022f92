// record_sparse.cpp: lesson 26's CSR example: a small pruned matrix moved, row by row, into the three
// arrays to_csr builds (row_ptr, col_index, values).
#include <cstdint>
#include <string>
#include <vector>

#include "gb/compress/record.hpp"
#include "gb/core/error.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::compress {

CsrMatrix record_csr_example(trace::Recorder& rec, const Tensor& dense, const std::string& prefix) {
  const CsrMatrix csr = to_csr(dense);  // checks rank and dtype
  if (csr.rows > 64 || csr.cols > 64)
    throw Error("record_csr_example", "a small example, at most 64 x 64", std::to_string(csr.rows) + " x " + std::to_string(csr.cols));
  if (csr.nnz() == 0) throw Error("record_csr_example", "a matrix with at least one nonzero", "all zeros");
  const std::string dense_id = prefix + "dense", row_ptr_id = prefix + "row_ptr", col_id = prefix + "col_index",
                    values_id = prefix + "values";
  const std::int64_t nnz = csr.nnz();
  rec.add_scene(trace::tensor_scene(dense_id, "Pruned matrix A (" + std::to_string(csr.rows) + " x " + std::to_string(csr.cols) + ")",
                                    dense));
  // The arrays start empty (zeros) and fill as the rows are visited.
  rec.add_scene(trace::tensor_scene(row_ptr_id, "row_ptr",
                                    Tensor::zeros({1, csr.rows + 1}, DType::i64)));
  rec.add_scene(trace::tensor_scene(col_id, "col_index", Tensor::zeros({1, nnz}, DType::i32)));
  rec.add_scene(trace::tensor_scene(values_id, "values", Tensor::zeros({1, nnz})));
  rec.step("Of the " + std::to_string(csr.rows * csr.cols) + " entries only " + std::to_string(nnz) +
               " are nonzero: CSR stores those and their columns, and row_ptr[0] = 0.",
           trace::Level::op)
      .write_cells(row_ptr_id, {0}, {0.0});
  for (std::int64_t r = 0; r < csr.rows; ++r) {
    const std::int64_t begin = csr.row_ptr[static_cast<std::size_t>(r)], end = csr.row_ptr[static_cast<std::size_t>(r + 1)];
    std::vector<std::int64_t> dense_cells, array_cells;
    std::vector<double> columns, values;
    std::string column_list;
    for (std::int64_t k = begin; k < end; ++k) {
      const std::int32_t c = csr.col_index[static_cast<std::size_t>(k)];
      dense_cells.push_back(r * csr.cols + c);
      array_cells.push_back(k);
      columns.push_back(c);
      values.push_back(csr.values[static_cast<std::size_t>(k)]);
      column_list += (column_list.empty() ? "" : ", ") + std::to_string(c);
    }
    rec.step("Row " + std::to_string(r) + " has " + std::to_string(end - begin) + (end - begin == 1 ? " nonzero" : " nonzeros") +
                 (column_list.empty() ? "" : (end - begin == 1 ? " (column " : " (columns ") + column_list + ")") + ": values[" + std::to_string(begin) + ".." +
                 std::to_string(end) + ") and row_ptr[" + std::to_string(r + 1) + "] = " + std::to_string(end) + ".",
             trace::Level::tile)
        .read_cells(dense_id, dense_cells)
        .write_cells(col_id, array_cells, columns)
        .write_cells(values_id, array_cells, values)
        .write_cells(row_ptr_id, {r + 1}, {static_cast<double>(end)});
  }
  return csr;
}

}  // namespace gb::compress
