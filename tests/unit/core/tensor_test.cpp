// Unit tests: Storage, creating tensors of every dtype, to_vector, item, data<T>, from_storage.
#include <cstring>

#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;
using gb_test::Values;

TEST(Storage, AllocateIsZeroedAndAligned) {
  for (std::size_t nbytes : {0u, 1u, 63u, 64u, 1000u}) {
    auto s = gb::Storage::allocate(nbytes);
    ASSERT_NE(s->data, nullptr);
    EXPECT_EQ(s->nbytes, nbytes);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(s->data) % 64, 0u);
    for (std::size_t i = 0; i < nbytes; ++i) EXPECT_EQ(s->data[i], std::byte{0});
  }
}

TEST(TensorCreate, UndefinedTensor) {
  const Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_ERROR(t.to_vector(), "to_vector", "undefined");
  EXPECT_ERROR(t.reshape({1}), "reshape", "undefined");
  EXPECT_ERROR(t.clone(), "clone", "undefined");
  EXPECT_ERROR(t.item(), "item", "undefined");
  EXPECT_ERROR(t.raw_data(), "raw_data");
  EXPECT_ERROR(t.data<float>(), "data");
  EXPECT_ERROR(t.is_contiguous(), "is_contiguous");
  EXPECT_ERROR(gb::sum(t), "sum", "undefined");
  EXPECT_ERROR(gb::neg(t), "neg", "undefined");
  EXPECT_ERROR(gb::matmul(t, t), "matmul", "undefined");
  EXPECT_ERROR(gb::argmax(t, 0), "argmax", "undefined");
}

TEST(TensorCreate, EveryDTypeZerosOnesFull) {
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    const Tensor z = Tensor::zeros({2, 3}, d);
    EXPECT_TRUE(z.defined());
    EXPECT_EQ(z.dtype(), d);
    EXPECT_EQ(z.shape(), (gb::Shape{2, 3}));
    EXPECT_EQ(z.strides(), (gb::Strides{3, 1}));
    EXPECT_EQ(z.offset(), 0);
    EXPECT_EQ(z.ndim(), 2u);
    EXPECT_EQ(z.numel(), 6);
    EXPECT_TRUE(z.is_contiguous());
    EXPECT_EQ(z.to_vector(), Values(6, 0.0));
    EXPECT_EQ(Tensor::empty({4}, d).to_vector(), Values(4, 0.0));
    EXPECT_EQ(Tensor::ones({3}, d).to_vector(), Values(3, 1.0));
    EXPECT_EQ(Tensor::full({2}, 7, d).to_vector(), Values(2, 7.0));
    EXPECT_EQ(Tensor::arange(5, d).to_vector(), (Values{0, 1, 2, 3, 4}));
    EXPECT_EQ(Tensor::scalar(3, d).item(), 3.0);
    EXPECT_EQ(Tensor::scalar(3, d).ndim(), 0u);
    EXPECT_EQ(Tensor::from_values({1, 2, 3, 4}, {2, 2}, d).to_vector(), (Values{1, 2, 3, 4}));
  }
}

TEST(TensorCreate, FromVectorKeepsTheCppType) {
  const Tensor a = Tensor::from_vector<std::int32_t>({1, -2, 3}, {3});
  EXPECT_EQ(a.dtype(), DType::i32);
  EXPECT_EQ(a.to_vector(), (Values{1, -2, 3}));
  const Tensor b = Tensor::from_vector<double>({0.5, 1.5}, {2, 1});
  EXPECT_EQ(b.dtype(), DType::f64);
  EXPECT_EQ(b.shape(), (gb::Shape{2, 1}));
  const Tensor c = Tensor::from_vector<std::uint8_t>({255, 0}, {2});
  EXPECT_EQ(c.to_vector(), (Values{255, 0}));
}

TEST(TensorCreate, ValuesConvertWithoutUndefinedBehaviour) {
  // double -> int: truncate toward zero, saturate, NaN -> 0 (documented in README "Decisions").
  const double nan = std::nan("");
  const double inf = INFINITY;
  EXPECT_EQ(Tensor::from_values({2.9, -2.9, 300, -300, nan, inf, -inf}, {7}, DType::i8).to_vector(),
            (Values{2, -2, 127, -128, 0, 127, -128}));
  EXPECT_EQ(Tensor::from_values({-1, 255.7, 256, nan}, {4}, DType::u8).to_vector(), (Values{0, 255, 255, 0}));
  EXPECT_EQ(Tensor::from_values({3e9, -3e9, 1e300}, {3}, DType::i32).to_vector(),
            (Values{2147483647.0, -2147483648.0, 2147483647.0}));
  const Values big = Tensor::from_values({1e19, -1e19}, {2}, DType::i64).to_vector();
  EXPECT_EQ(static_cast<std::int64_t>(big[1]), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(*Tensor::from_values({1e19}, {1}, DType::i64).data<std::int64_t>(),
            std::numeric_limits<std::int64_t>::max());
  // double -> f32: beyond the float range becomes infinity.
  EXPECT_EQ(Tensor::from_values({1e300, -1e300}, {2}, DType::f32).to_vector(), (Values{inf, -inf}));
}

TEST(TensorCreate, BadArgumentsAreErrors) {
  EXPECT_ERROR(Tensor::zeros({2, -1}), "empty", "[2, -1]");
  EXPECT_ERROR(Tensor::arange(-1), "arange", "-1");
  EXPECT_ERROR(Tensor::from_values({1, 2, 3}, {2, 2}), "from_values", "4 values", "3 values");
  EXPECT_ERROR(Tensor::zeros({1LL << 40, 1LL << 40}), "shape_numel");
}

TEST(TensorCreate, EmptyTensors) {
  for (DType d : gb_test::kAllDTypes) {
    const Tensor e = Tensor::zeros({0, 3}, d);
    EXPECT_EQ(e.numel(), 0);
    EXPECT_TRUE(e.is_contiguous());
    EXPECT_TRUE(e.to_vector().empty());
    EXPECT_NE(e.raw_data(), nullptr);
    EXPECT_TRUE(Tensor::arange(0, d).to_vector().empty());
    EXPECT_TRUE(Tensor::from_values({}, {2, 0}, d).to_vector().empty());
  }
}

TEST(TensorAccess, ItemAndSize) {
  const Tensor t = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.size(0), 2);
  EXPECT_EQ(t.size(1), 3);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_EQ(t.size(-2), 2);
  EXPECT_ERROR(t.size(2), "size", "axis 2");
  EXPECT_ERROR(t.item(), "item", "[2, 3]");
  EXPECT_DOUBLE_EQ(Tensor::full({1, 1, 1}, 2.5).item(), 2.5);
  EXPECT_DOUBLE_EQ(t.slice(1, 2, 3).slice(0, 1, 2).item(), 6.0);  // a view with an offset
}

TEST(TensorAccess, TypedDataPointer) {
  Tensor t = Tensor::arange(6, DType::i32).reshape({2, 3});
  std::int32_t* p = t.data<std::int32_t>();
  EXPECT_EQ(p[5], 5);
  p[0] = 42;
  EXPECT_EQ(t.to_vector()[0], 42.0);
  EXPECT_ERROR(t.data<float>(), "data", "i32", "f32");
  EXPECT_ERROR(t.data<std::int64_t>(), "data");
  const Tensor view = t.slice(1, 1, 3);
  EXPECT_EQ(view.data<std::int32_t>(), p + 1);  // data() points at element [0, 0] of the view
  EXPECT_EQ(view.raw_data(), static_cast<void*>(p + 1));
}

TEST(TensorCreate, FromStorageWrapsWithoutCopy) {
  auto storage = gb::Storage::allocate(6 * sizeof(float));
  float* raw = reinterpret_cast<float*>(storage->data);
  for (int i = 0; i < 6; ++i) raw[i] = float(i) * 10;
  const Tensor t = Tensor::from_storage(storage, DType::f32, {3, 2}, {1, 3});  // column-major view
  EXPECT_EQ(t.to_vector(), (Values{0, 30, 10, 40, 20, 50}));
  raw[0] = -1;
  EXPECT_EQ(t.to_vector()[0], -1.0);
  const Tensor tail = Tensor::from_storage(storage, DType::f32, {2}, {1}, 4);
  EXPECT_EQ(tail.to_vector(), (Values{40, 50}));
}

TEST(TensorCreate, FromStorageValidatesTheLayout) {
  auto storage = gb::Storage::allocate(6 * sizeof(float));
  EXPECT_ERROR(Tensor::from_storage(nullptr, DType::f32, {1}, {1}), "from_storage", "null");
  EXPECT_ERROR(Tensor::from_storage(storage, DType::f32, {7}, {1}), "from_storage", "[7]");
  EXPECT_ERROR(Tensor::from_storage(storage, DType::f32, {2}, {1}, 5), "from_storage", "offset 5");
  EXPECT_ERROR(Tensor::from_storage(storage, DType::f32, {2, 3}, {1}), "from_storage", "strides [1]");
  EXPECT_ERROR(Tensor::from_storage(storage, DType::f32, {2}, {-1}, 2), "from_storage", "strides >= 0");
  EXPECT_ERROR(Tensor::from_storage(storage, DType::f64, {4}, {1}), "from_storage");  // 24 bytes = 3 f64
  EXPECT_ERROR(Tensor::from_storage(storage, DType::f32, {2}, {1}, -1), "from_storage", "offset");
  // A misaligned foreign pointer would make typed loads undefined: refused.
  auto foreign = std::make_shared<gb::Storage>();
  foreign->data = storage->data + 1;
  foreign->nbytes = 16;
  foreign->owner = storage;
  EXPECT_ERROR(Tensor::from_storage(foreign, DType::f32, {2}, {1}), "from_storage", "aligned");
  EXPECT_NO_THROW(Tensor::from_storage(foreign, DType::u8, {16}, {1}));
  // No elements: any strides, the offset may sit at the end.
  EXPECT_NO_THROW(Tensor::from_storage(storage, DType::f32, {0, 5}, {100, 100}, 6));
}

TEST(TensorAccess, IsContiguous) {
  EXPECT_TRUE(Tensor::zeros({}).is_contiguous());
  EXPECT_TRUE(Tensor::zeros({2, 3}).is_contiguous());
  EXPECT_FALSE(Tensor::zeros({2, 3}).transpose().is_contiguous());
  EXPECT_TRUE(Tensor::zeros({1, 3}).transpose().is_contiguous());  // size-1 axes do not count
  EXPECT_FALSE(Tensor::zeros({4, 3}).slice(1, 0, 2).is_contiguous());
  EXPECT_TRUE(Tensor::zeros({4, 3}).slice(0, 1, 3).is_contiguous());  // rows 1..2: an offset, no gap
  EXPECT_FALSE(Tensor::zeros({3}).broadcast_to({2, 3}).is_contiguous());
  EXPECT_TRUE(Tensor::zeros({2, 3}).slice(0, 2, 2).is_contiguous());  // empty
}
