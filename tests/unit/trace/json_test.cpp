// json_test.cpp: Recording <-> JSON: round trip, determinism, and validation with field paths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gb/trace/json.hpp"
#include "gb/trace/replay.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

using testing::throws_error_with;

TEST(Json, RoundTripGivesAnEqualRecording) {
  const Recording r = testing::every_kind_recording();
  const std::string text = to_json(r);
  const Recording back = from_json(text);
  EXPECT_TRUE(back == r);
  // The special values survived with their exact bits.
  const Scene& t = back.scenes[1];
  EXPECT_TRUE(std::signbit(t.tensor.values[4]));
  const Change& nan_write = back.steps[2].changes[1];
  EXPECT_TRUE(std::isnan(nan_write.values[0]));
  EXPECT_EQ(back.steps[3].changes[0].values[1], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.steps.back().changes[0].values[1], 0.1 + 0.2);  // shortest text, exact value
  EXPECT_EQ(back.steps[6].section, "Unicode — ünïcödé 日本");
  EXPECT_FALSE(back.steps.back().source.has_value());
}

TEST(Json, EveryPayloadAndFieldSurvives) {
  // Fields outside the scene's kind and changes with every field set still round-trip.
  Recording r;
  r.lesson = "x";
  Scene s;
  s.id = "s";
  s.kind = SceneKind::table;
  s.text.first_line = 0;
  s.timeline.unit = "";
  s.graph.nodes.resize(1);
  r.scenes.push_back(s);
  Step step;
  Change c;
  c.kind = ChangeKind::add_row;
  c.scene = "s";
  c.target = "t";
  c.text = "x";
  c.cells = {-1, 0, std::numeric_limits<std::int64_t>::max()};
  c.values = {-0.0};
  c.xs = {std::numeric_limits<double>::denorm_min()};
  c.x = -0.0;
  c.y = std::numeric_limits<double>::max();
  c.line = -3;
  c.node.id = "n";
  c.node.state = NodeState::done;
  c.edge.label = "e";
  c.span.duration = 1;
  c.counter.time = NAN;
  c.flow.to_span = "z";
  c.row = {"", ""};
  step.changes = {c, Change{}};
  r.steps = {step};
  const Recording back = from_json(to_json(r));
  EXPECT_TRUE(back == r);
  EXPECT_TRUE(std::signbit(back.steps[0].changes[0].x));
  Recording different = back;
  different.steps[0].changes[0].x = 0.0;
  EXPECT_FALSE(different == r);  // -0.0 and 0.0 differ
}

TEST(Json, EqualityNoticesEveryDifference) {
  const Recording r = testing::every_kind_recording();
  Recording d = r;
  d.scenes[0].graph.nodes[1].gradient = "x";
  EXPECT_FALSE(d == r);
  d = r;
  d.steps[4].changes[0].span.duration = 3.5;
  EXPECT_FALSE(d == r);
  d = r;
  d.parameters["seed"] = "43";
  EXPECT_FALSE(d == r);
  d = r;
  d.steps[0].source->line += 1;
  EXPECT_FALSE(d == r);
}

TEST(Json, DeterministicBytes) {
  const std::string a = to_json(testing::every_kind_recording());
  const std::string b = to_json(testing::every_kind_recording());
  EXPECT_EQ(a, b);
  EXPECT_EQ(to_json(from_json(a)), a);
  const std::string compact = to_json(testing::every_kind_recording(), -1);
  EXPECT_EQ(to_json(from_json(compact), -1), compact);
  EXPECT_EQ(compact.find("\n"), compact.size() - 1);
  EXPECT_TRUE(from_json(compact) == from_json(a));
  const std::string long_text = to_json(testing::long_recording(200));
  EXPECT_EQ(to_json(from_json(long_text)), long_text);
}

TEST(Json, NonFiniteAsStringsDefaultsLeftOut) {
  const std::string text = to_json(testing::every_kind_recording(), -1);
  EXPECT_NE(text.find("\"nan\""), std::string::npos);
  EXPECT_NE(text.find("\"-inf\""), std::string::npos);
  for (const char* bad : {"NaN,", "NaN]", "Infinity", "null"}) EXPECT_EQ(text.find(bad), std::string::npos) << bad;
  EXPECT_NE(text.find("\"Unicode — ünïcödé 日本\""), std::string::npos);  // UTF-8 kept as is, not \u-escaped
  // An empty recording is small.
  Recording empty;
  EXPECT_EQ(to_json(empty, -1), "{\"version\":1,\"lesson\":\"\",\"title\":\"\",\"scenes\":[],\"steps\":[]}\n");
}

TEST(Json, HandWrittenDocumentWithDefaults) {
  const Recording r = from_json(R"({"lesson": "l", "scenes": [{"id": "g", "kind": "graph",
      "graph": {"nodes": [{"id": "a"}]}}], "steps": [{"caption": "c", "changes": [
      {"kind": "set_value", "scene": "g", "target": "a", "text": "1"},
      {"kind": "write_cells", "scene": "t", "cells": [1], "values": [2, "inf"]}]}]})");
  EXPECT_EQ(r.lesson, "l");
  EXPECT_EQ(r.scenes[0].kind, SceneKind::graph);
  EXPECT_EQ(r.scenes[0].text.first_line, 1);
  EXPECT_EQ(r.scenes[0].timeline.unit, "us");
  EXPECT_EQ(r.steps[0].level, Level::op);
  EXPECT_EQ(r.steps[0].changes[1].values[0], 2.0);
  EXPECT_TRUE(std::isinf(r.steps[0].changes[1].values[1]));
}

TEST(Json, InvalidUtf8IsAnErrorWhenWriting) {
  Recording r;
  r.title = "bad \xff byte";
  EXPECT_TRUE(throws_error_with([&] { to_json(r); }, {"to_json", "UTF-8"}));
}

// --- validation: each error names the field by its path --------------------------------------

struct BadDocument {
  const char* text;
  std::vector<std::string> parts;
};

TEST(JsonErrors, NameTheFieldPath) {
  const BadDocument cases[] = {
      {R"([])", {"from_json: expected an object at the top level, given array"}},
      {R"({"scenes": [], "steps": []})", {"the field \"lesson\" at the top level"}},
      {R"({"lesson": 3, "scenes": [], "steps": []})", {"expected a string at lesson, given number"}},
      {R"({"lesson": "", "scenes": [], "steps": [], "extra": 1})", {"one of the keys version,", "the key \"extra\""}},
      {R"({"version": 2, "lesson": "", "scenes": [], "steps": []})", {"expected version 1 at version, given 2"}},
      {R"({"lesson": "", "scenes": {}, "steps": []})", {"expected an array at scenes, given object"}},
      {R"({"lesson": "", "scenes": [{"kind": "graph"}], "steps": []})", {"the field \"id\" at scenes[0]"}},
      {R"({"lesson": "", "scenes": [{"id": "g", "kind": "graf"}], "steps": []})",
       {"expected one of graph, tensor, timeline, plot, table, text at scenes[0].kind, given 'graf'"}},
      {R"({"lesson": "", "scenes": [{"id": "g", "kind": "graph", "graph": {"nodes": [{"id": "a", "state": "on"}]}}],
          "steps": []})",
       {"at scenes[0].graph.nodes[0].state, given 'on'"}},
      {R"({"lesson": "", "scenes": [{"id": "t", "kind": "tensor", "tensor": {"rows": 1.5}}], "steps": []})",
       {"expected an integer at scenes[0].tensor.rows"}},
      {R"({"lesson": "", "scenes": [{"id": "t", "kind": "tensor", "tensor": {"rows": 18446744073709551615}}],
          "steps": []})",
       {"fits in 64 bits at scenes[0].tensor.rows"}},
      {R"({"lesson": "", "scenes": [{"id": "t", "kind": "tensor", "tensor": {"values": [1, "NaN"]}}], "steps": []})",
       {"at scenes[0].tensor.values[1], given the string \"NaN\""}},
      {R"({"lesson": "", "scenes": [{"id": "t", "kind": "plot", "plot": {"series": [{"name": "s", "y": [true]}]}}],
          "steps": []})",
       {"expected a number at scenes[0].plot.series[0].y[0], given boolean"}},
      {R"({"lesson": "", "scenes": [], "steps": [{}]})", {"the field \"caption\" at steps[0]"}},
      {R"({"lesson": "", "scenes": [], "steps": [{"caption": "", "level": "fine"}]})",
       {"one of pass, op, tile, element at steps[0].level, given 'fine'"}},
      {R"({"lesson": "", "scenes": [], "steps": [{"caption": "", "source": {"line": 1}}]})",
       {"the field \"file\" at steps[0].source"}},
      {R"({"lesson": "", "scenes": [], "steps": [{"caption": "", "changes": [{}, {"kind": 7}]}]})",
       {"the field \"kind\" at steps[0].changes[0]"}},
      {R"({"lesson": "", "scenes": [], "steps": [{"caption": "", "changes": [{"kind": "add_row", "scene": "s"},
          {"kind": 7, "scene": "s"}]}]})",
       {"from_json: expected a string at steps[0].changes[1].kind, given number"}},
      {R"({"lesson": "", "scenes": [], "steps": [{"caption": "", "changes": [{"kind": "blink", "scene": "s"}]}]})",
       {"at steps[0].changes[0].kind, given 'blink'", "highlight"}},
      {R"({"lesson": "", "scenes": [], "steps": [{"caption": "", "changes": [{"kind": "add_span", "scene": "s",
          "span": {"id": "x", "lane": "l", "start": null}}]}]})",
       {"expected a number at steps[0].changes[0].span.start, given null"}},
      {R"({"lesson": "", "scenes": [], "steps": [{"caption": "", "changes": [{"kind": "add_row", "scene": "s",
          "row": ["a", 1]}]}]})",
       {"expected a string at steps[0].changes[0].row[1], given number"}},
      {R"({"lesson": "", "parameters": {"n": 3}, "scenes": [], "steps": []})",
       {"expected a string at parameters.n, given number"}},
      {"{\"lesson\": \"\xff\", \"scenes\": [], \"steps\": []}", {"from_json: expected a JSON document"}},
      {"", {"from_json: expected a JSON document"}},
      {R"({"lesson": "", "scenes": [], "steps": []} trailing)", {"from_json: expected a JSON document"}},
  };
  for (const BadDocument& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      from_json(c.text);
      ADD_FAILURE() << "did not throw";
    } catch (const gb::Error& e) {
      for (const std::string& part : c.parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
                                                   << e.what() << "\n  lacks: " << part;
    }
  }
}

// Every proper prefix of a valid document is invalid JSON: each must give gb::Error, never a crash.
TEST(JsonErrors, EveryTruncationIsAnError) {
  const std::string text = to_json(testing::every_kind_recording(), -1);
  std::size_t errors = 0;
  for (std::size_t n = 0; n + 1 < text.size(); ++n) {  // text ends with '\n', so stop before the '}'
    try {
      from_json(text.substr(0, n));
      ADD_FAILURE() << "prefix of " << n << " bytes was accepted";
    } catch (const gb::Error&) {
      ++errors;
    }
  }
  EXPECT_EQ(errors, text.size() - 1);
  EXPECT_NO_THROW(from_json(text.substr(0, text.size() - 1)));
}

// Nesting far deeper than the schema: parsed without recursion, rejected by type.
TEST(JsonErrors, DeepNestingIsAnErrorNotACrash) {
  std::string deep = R"({"lesson": "", "scenes": [], "steps": [{"caption": )";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}]}";
  EXPECT_TRUE(throws_error_with([&] { from_json(deep); }, {"expected a string at steps[0].caption, given array"}));
}

}  // namespace
}  // namespace gb::trace
