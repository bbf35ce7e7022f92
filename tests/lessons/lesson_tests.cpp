// lesson_tests.cpp: what every lesson must do, checked for every lesson in the registry.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/replay.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The headings (## ...) of a lesson.md.
std::set<std::string> headings(const std::string& markdown) {
  std::set<std::string> out;
  std::istringstream lines(markdown);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("## ", 0) == 0) out.insert(line.substr(3));
  }
  return out;
}

class EveryLesson : public testing::TestWithParam<std::string> {};

TEST_P(EveryLesson, RunsValidatesAndIsDeterministic) {
  const auto first = gb::lessons::run(GetParam());
  const auto second = gb::lessons::run(GetParam());
  ASSERT_FALSE(first.steps.empty());
  EXPECT_NO_THROW(gb::trace::validate(first));
  EXPECT_EQ(gb::trace::to_json(first), gb::trace::to_json(second)) << "same parameters must give the same bytes";
}

TEST_P(EveryLesson, JsonReimportsToAnIdenticalRecording) {
  const auto recording = gb::lessons::run(GetParam());
  const std::string json = gb::trace::to_json(recording);
  const auto back = gb::trace::from_json(json);
  EXPECT_TRUE(back == recording);
  EXPECT_EQ(gb::trace::to_json(back), json);
}

TEST_P(EveryLesson, EveryStepHasOneCaptionAndAKnownSection) {
  const auto& lesson = gb::lessons::find(GetParam());
  const auto sections = headings(lesson.text);
  ASSERT_FALSE(sections.empty()) << "lesson.md has no ## sections";
  EXPECT_TRUE(sections.count("Exercises")) << "a lesson ends with its exercises";
  for (const auto& step : gb::lessons::run(GetParam()).steps) {
    ASSERT_FALSE(step.caption.empty());
    EXPECT_EQ(step.caption.back(), '.') << "a caption is one sentence: " << step.caption;
    EXPECT_TRUE(sections.count(step.section)) << "step section '" << step.section << "' is not a heading of lesson.md";
    ASSERT_TRUE(step.source.has_value());
    // Relative to the repository root, so recordings are the same bytes on every machine.
    ASSERT_FALSE(step.source->file.empty());
    EXPECT_NE(step.source->file[0], '/') << step.source->file;
    EXPECT_TRUE(std::ifstream(GB_SOURCE_DIR "/" + step.source->file).good()) << step.source->file;
    EXPECT_GT(step.source->line, 0);
  }
}

TEST_P(EveryLesson, RejectsUnknownParameters) {
  try {
    gb::lessons::run(GetParam(), {{"no_such_parameter", "1"}});
    FAIL() << "an unknown parameter must throw";
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_parameter"), std::string::npos) << e.what();
  }
}

std::vector<std::string> lesson_ids() {
  std::vector<std::string> ids;
  for (const auto& lesson : gb::lessons::all()) ids.push_back(lesson.id);
  return ids;
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryLesson, testing::ValuesIn(lesson_ids()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = "L" + info.param;  // gtest names: letters, digits, _
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(Registry, UnknownLessonNamesTheKnownOnes) {
  try {
    gb::lessons::find("99-nope");
    FAIL();
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("00-tour"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("99-nope"), std::string::npos) << e.what();
  }
}

// docs/lessons.md is the lesson index: one line per lesson, "- `ID`: title", in registry order.
TEST(Registry, LessonIndexInDocsMatchesTheRegistry) {
  const std::string index = read_file(GB_SOURCE_DIR "/docs/lessons.md");
  ASSERT_FALSE(index.empty()) << "docs/lessons.md is missing";
  std::vector<std::string> listed;
  std::istringstream lines(index);
  for (std::string l; std::getline(lines, l);) {
    // "- `00-tour`: A tour of glassbox"
    const std::string open = "- `", close = "`: ";
    const std::size_t end = l.find(close);
    if (l.rfind(open, 0) != 0 || end == std::string::npos) continue;
    const std::string id = l.substr(open.size(), end - open.size());
    listed.push_back(id);
    EXPECT_EQ(l.substr(end + close.size()), gb::lessons::find(id).title) << "title of " << id << " in docs/lessons.md";
  }
  EXPECT_EQ(listed, lesson_ids()) << "docs/lessons.md must list exactly the registered lessons, in order";
}

TEST(Registry, ParameterParsingErrorsNameTheParameter) {
  EXPECT_THROW(gb::lessons::run("00-tour", {{"samples", "many"}}), gb::Error);
  try {
    gb::lessons::run("00-tour", {{"seed", "1.5"}});
    FAIL();
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("seed"), std::string::npos) << e.what();
  }
}

}  // namespace
