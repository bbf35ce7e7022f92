// npy_test.cpp: .npy files against NumPy itself (the oracle: /usr/bin/python3 with numpy writes and reads them).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gb/core/error.hpp"
#include "gb/core/npy.hpp"

namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("gb_npy_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

int python(const std::string& script) {
  fs::path file = temp_dir() / "script.py";
  std::ofstream(file) << script;
  return std::system(("/usr/bin/python3 " + file.string()).c_str());
}

TEST(Npy, ReadsWhatNumpyWritesInEveryDtypeAndOrder) {
  const std::string dir = temp_dir().string();
  ASSERT_EQ(python("import numpy as np\n"
                   "d='" + dir + "'\n"
                   "a=np.arange(24).reshape(2,3,4)\n"
                   "np.save(d+'/f4.npy', (a*0.5-3).astype('<f4'))\n"
                   "np.save(d+'/f8.npy', (a/7).astype('<f8'))\n"
                   "np.save(d+'/i8.npy', (a-10).astype('<i8'))\n"
                   "np.save(d+'/i4.npy', (a*1000-7).astype('<i4'))\n"
                   "np.save(d+'/i1.npy', (a-12).astype('i1'))\n"
                   "np.save(d+'/u1.npy', (a*10).astype('u1'))\n"
                   "np.save(d+'/b1.npy', (a%3==0))\n"
                   "np.save(d+'/fortran.npy', np.asfortranarray((a*0.5-3).astype('<f4')))\n"
                   "np.save(d+'/scalar.npy', np.float32(2.5))\n"
                   "np.save(d+'/empty.npy', np.zeros((0,3), 'f4'))\n"),
            0);
  auto expect = [](const gb::Tensor& t, gb::DType dtype, auto value) {
    ASSERT_EQ(t.dtype(), dtype);
    ASSERT_EQ(t.shape(), (gb::Shape{2, 3, 4}));
    std::vector<double> v = t.to_vector();
    for (int i = 0; i < 24; ++i) EXPECT_DOUBLE_EQ(v[static_cast<std::size_t>(i)], value(i)) << i;
  };
  expect(gb::load_npy(dir + "/f4.npy"), gb::DType::f32, [](int i) { return i * 0.5 - 3; });
  expect(gb::load_npy(dir + "/f8.npy"), gb::DType::f64, [](int i) { return i / 7.0; });
  expect(gb::load_npy(dir + "/i8.npy"), gb::DType::i64, [](int i) { return i - 10.0; });
  expect(gb::load_npy(dir + "/i4.npy"), gb::DType::i32, [](int i) { return i * 1000.0 - 7; });
  expect(gb::load_npy(dir + "/i1.npy"), gb::DType::i8, [](int i) { return i - 12.0; });
  expect(gb::load_npy(dir + "/u1.npy"), gb::DType::u8, [](int i) { return i * 10.0; });
  expect(gb::load_npy(dir + "/b1.npy"), gb::DType::u8, [](int i) { return i % 3 == 0 ? 1.0 : 0.0; });
  expect(gb::load_npy(dir + "/fortran.npy"), gb::DType::f32, [](int i) { return i * 0.5 - 3; });
  gb::Tensor s = gb::load_npy(dir + "/scalar.npy");
  EXPECT_EQ(s.shape(), gb::Shape{});
  EXPECT_EQ(s.item(), 2.5);
  EXPECT_EQ(gb::load_npy(dir + "/empty.npy").shape(), (gb::Shape{0, 3}));
}

TEST(Npy, NumpyReadsWhatGlassboxWrites) {
  const std::string dir = temp_dir().string();
  std::vector<float> values(30);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f - 2.0f;
  gb::save_npy(gb::Tensor::from_vector(values, {5, 6}), dir + "/out2.npy");
  gb::save_npy(gb::Tensor::from_vector(values, {30}), dir + "/out1.npy");
  gb::save_npy(gb::Tensor::from_vector(values, {5, 6}).transpose(), dir + "/outT.npy");  // a strided view
  gb::save_npy(gb::Tensor::scalar(7, gb::DType::i64), dir + "/out0.npy");
  EXPECT_EQ(python("import numpy as np\n"
                   "d='" + dir + "'\n"
                   "v=(np.arange(30)*0.25-2).astype('f4')\n"
                   "assert (np.load(d+'/out2.npy')==v.reshape(5,6)).all()\n"
                   "assert np.load(d+'/out1.npy').shape==(30,) and (np.load(d+'/out1.npy')==v).all()\n"
                   "assert (np.load(d+'/outT.npy')==v.reshape(5,6).T).all()\n"
                   "z=np.load(d+'/out0.npy'); assert z.shape==() and z.dtype==np.int64 and z==7\n"
                   "h=open(d+'/out2.npy','rb').read(); assert (10+h[8]+256*h[9])%64==0\n"),
            0);
}

// A version 1.0 file with this header dict and no data.
std::string npy_with_header(std::string dict) {
  dict += std::string((64 - (10 + dict.size() + 1) % 64) % 64, ' ') + "\n";
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict;
}

TEST(Npy, HugeSizesBesideAZeroAreErrors) {
  // Found by fuzz_npy: 0 elements, but the strides of (0, 3, 0, 599999999, 5999999999) overflow int64.
  EXPECT_THROW(gb::parse_npy(npy_with_header("{'descr': '|u1', 'fortran_order': True, 'shape': (0, 3, 0, 599999999, 5999999999), }")),
               gb::Error);
  EXPECT_THROW(gb::parse_npy(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 99999999999, 99999999999), }")),
               gb::Error);
  EXPECT_EQ(gb::parse_npy(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1000, 1000), }")).shape(),
            (gb::Shape{0, 1000, 1000}));
}

TEST(Npy, MalformedFilesAreErrors) {
  gb::Tensor t = gb::Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  const std::string good = gb::to_npy(t);
  EXPECT_EQ(gb::parse_npy(good).to_vector(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_THROW(gb::parse_npy(""), gb::Error);
  EXPECT_THROW(gb::parse_npy("not a numpy file at all"), gb::Error);
  EXPECT_THROW(gb::parse_npy(good.substr(0, good.size() - 1)), gb::Error);  // truncated data
  EXPECT_THROW(gb::parse_npy(good.substr(0, 20)), gb::Error);               // truncated header
  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  EXPECT_THROW(gb::parse_npy(big_endian), gb::Error);
  std::string complex = good;
  complex.replace(complex.find("<f4"), 3, "<c8");
  EXPECT_THROW(gb::parse_npy(complex), gb::Error);
  std::string huge = good;
  huge.replace(huge.find("(2, 2)"), 6, "(99999999, 99999999, 99)");
  EXPECT_THROW(gb::parse_npy(huge), gb::Error);
  std::string version = good;
  version[6] = 9;
  EXPECT_THROW(gb::parse_npy(version), gb::Error);
  EXPECT_THROW(gb::load_npy("/nonexistent/x.npy"), gb::Error);
}

}  // namespace
