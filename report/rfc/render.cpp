#include "report/rfc/render.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

namespace ptmc::rfc {

namespace {

struct Position {
  size_t line = 1, column = 1;
};

Position position_of(std::string_view text, size_t offset) {
  Position p;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// A value as prose: strings as they are, numbers by `format` ("" or a digit count, or "pct").
std::optional<std::string> as_text(const Json& v, const std::string& format, std::string* why) {
  if (format == "pct") {
    if (!v.is_number()) {
      *why = "|pct needs a number";
      return std::nullopt;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.0f%%", 100 * v.get<double>());
    return std::string(buf);
  }
  if (!format.empty()) {
    if (format.find_first_not_of("0123456789") != std::string::npos || format.size() > 1) {
      *why = "unknown format |" + format + " (a digit count 0-9, or pct)";
      return std::nullopt;
    }
    if (!v.is_number()) {
      *why = "|" + format + " needs a number";
      return std::nullopt;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", format[0] - '0', v.get<double>());
    return std::string(buf);
  }
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "yes" : "no");
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    char buf[64];
    snprintf(buf, sizeof buf, "%g", v.get<double>());
    return std::string(buf);
  }
  *why = "the value is not a string, number or boolean (use {{#each}} for lists)";
  return std::nullopt;
}

class Renderer {
public:
  Renderer(std::string_view src, std::string name,
           const std::function<const Json*(const std::string&)>& data)
      : src_(src), name_(std::move(name)), data_(data) {}

  Rendered run() {
    std::vector<const Json*> scope;
    size_t at = 0;
    out_.text = block(at, scope, "", 0);
    return std::move(out_);
  }

private:
  // Each problem once, though a {{#each}} body is rendered once per element.
  void error(size_t offset, const std::string& what) {
    const Position p = position_of(src_, offset);
    const std::string e =
        name_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + what;
    for (const std::string& seen : out_.errors)
      if (seen == e) return;
    out_.errors.push_back(e);
  }

  // "FILE:/pointer" or ".:/pointer" (the current {{#each}} element; "." alone is the element).
  const Json* resolve(const std::string& ref, const std::vector<const Json*>& scope,
                      size_t offset) {
    const size_t colon = ref.find(':');
    const std::string file = trim(ref.substr(0, colon));
    const std::string pointer = colon == std::string::npos ? "" : trim(ref.substr(colon + 1));
    const Json* root = nullptr;
    if (file == ".") {
      if (scope.empty()) {
        error(offset, "'.' outside {{#each}}");
        return nullptr;
      }
      root = scope.back();
    } else {
      root = data_(file);
      if (!root) {
        error(offset, "no data file " + file + ".json");
        return nullptr;
      }
      bool seen = false;
      for (const std::string& f : out_.files) seen = seen || f == file;
      if (!seen) out_.files.push_back(file);
    }
    if (pointer.empty()) return root;
    try {
      const Json::json_pointer p(pointer);
      if (!root->contains(p)) {
        error(offset, "no " + pointer + " in " + file);
        return nullptr;
      }
      return &root->at(p);
    } catch (const std::exception& e) {
      error(offset, "bad JSON pointer '" + pointer + "': " + e.what());
      return nullptr;
    }
  }

  // Renders from `at` to the end, or to the {{/each}} that closes `open`, the {{#each}} at
  // `open_at` (then past it).
  std::string block(size_t& at, std::vector<const Json*>& scope, const std::string& open,
                    size_t open_at) {
    std::string text;
    while (at < src_.size()) {
      const size_t start = src_.find("{{", at);
      if (start == std::string_view::npos) {
        text += src_.substr(at);
        at = src_.size();
        break;
      }
      text += src_.substr(at, start - at);
      const size_t end = src_.find("}}", start);
      if (end == std::string_view::npos) {
        error(start, "'{{' without '}}'");
        at = src_.size();
        break;
      }
      const std::string tag = trim(src_.substr(start + 2, end - start - 2));
      at = end + 2;
      if (tag.starts_with("/each")) {
        if (open.empty()) {
          error(start, "{{/each}} without {{#each}}");
          continue;
        }
        skip_newline(at);
        return text;
      }
      if (tag.starts_with("#each ")) {
        skip_newline(at);
        const Json* list = resolve(tag.substr(6), scope, start);
        if (list && !(list->is_array() || list->is_object())) {
          error(start, "{{#each}} needs a list or an object");
          list = nullptr;
        }
        const size_t body = at;
        if (!list || list->empty()) {
          skip_block(at, start, tag);
          continue;
        }
        for (const Json& item : *list) {
          at = body;
          scope.push_back(&item);
          text += block(at, scope, tag, start);
          scope.pop_back();
        }
        continue;
      }
      // A value, with an optional |format.
      const size_t bar = tag.rfind('|');
      const std::string ref = bar == std::string::npos ? tag : tag.substr(0, bar);
      const std::string format = bar == std::string::npos ? "" : trim(tag.substr(bar + 1));
      const Json* v = resolve(ref, scope, start);
      if (!v) continue;
      std::string why;
      if (const auto s = as_text(*v, format, &why))
        text += *s;
      else
        error(start, why);
    }
    if (!open.empty()) error(open_at, "{{" + open + "}} is never closed");
    return text;
  }

  // Moves `at` past the {{/each}} that closes the {{#each}} at `open_at`, rendering nothing.
  void skip_block(size_t& at, size_t open_at, const std::string& open) {
    int depth = 1;
    while (depth > 0) {
      const size_t start = src_.find("{{", at);
      const size_t end = start == std::string_view::npos ? start : src_.find("}}", start);
      if (end == std::string_view::npos) {
        error(open_at, "{{" + open + "}} is never closed");
        at = src_.size();
        return;
      }
      const std::string tag = trim(src_.substr(start + 2, end - start - 2));
      at = end + 2;
      if (tag.starts_with("#each ")) ++depth;
      if (tag.starts_with("/each")) --depth;
    }
    skip_newline(at);
  }

  // A block tag alone on its line leaves no blank line behind.
  void skip_newline(size_t& at) const {
    if (at < src_.size() && src_[at] == '\n') ++at;
  }

  std::string_view src_;
  std::string name_;
  const std::function<const Json*(const std::string&)>& data_;
  Rendered out_;
};

} // namespace

Rendered render(std::string_view source, const std::string& source_name,
                const std::function<const Json*(const std::string& name)>& data) {
  return Renderer(source, source_name, data).run();
}

Rendered render_file(const std::string& path, const std::string& data_dir) {
  std::ifstream in(path);
  if (!in) return Rendered{"", {path + ": cannot read"}, {}};
  std::stringstream text;
  text << in.rdbuf();
  std::map<std::string, std::unique_ptr<Json>> loaded;
  std::vector<std::string> load_errors;
  const auto data = [&](const std::string& name) -> const Json* {
    auto it = loaded.find(name);
    if (it == loaded.end()) {
      std::unique_ptr<Json> j;
      std::ifstream f(data_dir + "/" + name + ".json");
      if (f) {
        Json parsed = Json::parse(f, nullptr, false);
        if (parsed.is_discarded())
          load_errors.push_back(data_dir + "/" + name + ".json: not valid JSON");
        else
          j = std::make_unique<Json>(std::move(parsed));
      }
      it = loaded.emplace(name, std::move(j)).first;
    }
    return it->second.get();
  };
  const size_t slash = path.rfind('/');
  Rendered r = render(text.str(), slash == std::string::npos ? path : path.substr(slash + 1), data);
  r.errors.insert(r.errors.end(), load_errors.begin(), load_errors.end());
  return r;
}

} // namespace ptmc::rfc
