#include "report/html.hpp"

#include "report/templates.hpp"

#include <kainjow/mustache.hpp>

#include <stdexcept>

namespace ptmc::report {

namespace {

namespace mu = kainjow::mustache;

std::string text_of(const std::string& file) {
  const auto t = template_text(file);
  if (!t) throw std::runtime_error("no template " + file);
  return std::string(*t);
}

// JSON to Mustache data. Null and the empty string are false, so that `{{#x}}` skips them; a
// number prints as JSON writes it.
mu::data to_data(const nlohmann::json& j) {
  switch (j.type()) {
  case nlohmann::json::value_t::object: {
    mu::data d{mu::data::type::object};
    for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
    return d;
  }
  case nlohmann::json::value_t::array: {
    mu::data d{mu::data::type::list};
    for (const auto& v : j) d.push_back(to_data(v));
    return d;
  }
  case nlohmann::json::value_t::string: {
    const auto& s = j.get_ref<const std::string&>();
    if (s.empty()) return mu::data{false};
    return mu::data{s};
  }
  case nlohmann::json::value_t::boolean:
    return mu::data{j.get<bool>()};
  case nlohmann::json::value_t::null:
    return mu::data{false};
  default:
    return mu::data{j.dump()};
  }
}

} // namespace

std::string render_page(const std::string& name, const nlohmann::json& model) {
  mu::mustache page{text_of(name + ".mustache")};
  if (!page.is_valid()) throw std::runtime_error(name + ".mustache: " + page.error_message());
  mu::data data = to_data(model);
  for (const char* partial : {"head", "foot", "figure", "method"}) {
    const std::string text = text_of(std::string(partial) + ".mustache");
    data.set(partial, mu::partial{[text] { return text; }});
  }
  std::string out = page.render(data);
  if (!page.is_valid()) throw std::runtime_error(name + ".mustache: " + page.error_message());
  return out;
}

std::string style_sheet() {
  return text_of("style.css");
}

} // namespace ptmc::report
