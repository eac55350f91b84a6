// The RFC answers' prose sources (report/rfc/*.md) hold placeholders that are filled from the
// data files under reports/data/rfc/ when the answers are generated; report/rfc/README.md gives the
// syntax. This renders one source: generators (`ptmc report`) and the tests call it.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ptmc::rfc {

using Json = nlohmann::ordered_json;

struct Rendered {
  std::string text;
  std::vector<std::string> errors; // "q5.md:12:5: ...": a placeholder that did not resolve
  std::vector<std::string> files;  // the data files the source read, in first-use order
};

// `data(name)` returns the data file NAME (its stem, e.g. "q4-register-access"), or nullptr.
Rendered render(std::string_view source, const std::string& source_name,
                const std::function<const Json*(const std::string& name)>& data);

// Renders the file at `path` with the data files of `data_dir` (NAME.json).
Rendered render_file(const std::string& path, const std::string& data_dir);

} // namespace ptmc::rfc
