#include "report/rfc/render.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

namespace ptmc::rfc {
namespace {

Rendered render_with(const std::string& source, const std::map<std::string, Json>& files) {
  return render(source, "test.md", [&](const std::string& name) -> const Json* {
    const auto it = files.find(name);
    return it == files.end() ? nullptr : &it->second;
  });
}

const std::map<std::string, Json> kData = {
    {"d", Json::parse(R"({"n": 2.345, "share": 0.234, "i": 7, "s": "text", "ok": true,
                          "ops": {"a": {"req": "GETREGS", "ns": 10.6}, "b": {"req": "PEEK", "ns": 3}},
                          "list": [{"v": 1, "sub": ["x", "y"]}, {"v": 2, "sub": []}],
                          "empty": []})")}};

TEST(Render, ValuesAndFormats) {
  const Rendered r = render_with(
      "{{d:/s}} {{d:/i}} {{d:/n|1}} {{d:/n|0}} {{d:/share|pct}} {{d:/ok}} {{d:/n}}", kData);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.text, "text 7 2.3 2 23% yes 2.345");
  EXPECT_EQ(r.files, (std::vector<std::string>{"d"}));
}

TEST(Render, EachOverObjectsAndArraysInFileOrderAndNested) {
  const Rendered r = render_with("{{#each d:/ops}}\n- {{.:/req}} {{.:/ns|0}}\n{{/each}}\n"
                                 "{{#each d:/list}}[{{.:/v}}:{{#each .:/sub}}{{.}}{{/each}}]"
                                 "{{/each}}{{#each d:/empty}}never{{/each}}.",
                                 kData);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.text, "- GETREGS 11\n- PEEK 3\n[1:xy][2:].");
}

TEST(Render, EveryProblemIsNamedWithItsPlace) {
  const Rendered r = render_with("ok {{d:/nope}}\n {{nofile:/x}} {{d:/s|2}} {{d:/ops}}\n"
                                 "{{d:/n|z}} {{.:/v}} {{/each}} {{#each d:/list}}{{.:/v}}",
                                 kData);
  ASSERT_EQ(r.errors.size(), 8u);
  EXPECT_EQ(r.errors[0], "test.md:1:4: no /nope in d");
  EXPECT_EQ(r.errors[1], "test.md:2:2: no data file nofile.json");
  EXPECT_NE(r.errors[2].find("|2 needs a number"), std::string::npos) << r.errors[2];
  EXPECT_NE(r.errors[3].find("not a string, number or boolean"), std::string::npos);
  EXPECT_NE(r.errors[4].find("unknown format |z"), std::string::npos) << r.errors[4];
  EXPECT_NE(r.errors[5].find("'.' outside {{#each}}"), std::string::npos) << r.errors[5];
  EXPECT_NE(r.errors[6].find("{{/each}} without {{#each}}"), std::string::npos) << r.errors[6];
  EXPECT_EQ(r.errors[7], "test.md:3:31: {{#each d:/list}} is never closed");
}

// Each RFC answer source renders against the committed data without a loose placeholder.
TEST(Sources, EveryAnswerRendersFromTheCommittedData) {
  const std::filesystem::path dir = std::filesystem::path(PTMC_SOURCE_DIR) / "report" / "rfc";
  size_t sources = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!(name.size() > 3 && name[0] == 'q' && name.ends_with(".md"))) continue;
    // Sources that read what the generator computes render in tests/rfc/test_answers.cpp.
    std::ifstream text(entry.path());
    const std::string body((std::istreambuf_iterator<char>(text)), {});
    if (body.find("computed:/") != std::string::npos) continue;
    ++sources;
    const Rendered r =
        render_file(entry.path().string(), std::string(PTMC_SOURCE_DIR) + "/reports/data/rfc");
    for (const std::string& e : r.errors) ADD_FAILURE() << e;
    EXPECT_EQ(r.text.find("{{"), std::string::npos) << name;
    EXPECT_FALSE(r.files.empty()) << name << " reads no data";
  }
  EXPECT_GE(sources, 2u);
}

} // namespace
} // namespace ptmc::rfc
