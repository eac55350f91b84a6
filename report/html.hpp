// Pages from templates: what a page says is a JSON model built by report.cpp; how it looks is a
// Mustache template in report/templates/. Values are HTML-escaped unless the template asks for
// raw text ({{{svg}}}).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ptmc::report {

// Renders `templates/NAME.mustache` with `model`; the templates head, foot, figure and method
// are available to it as partials. Throws std::runtime_error on a template error.
std::string render_page(const std::string& name, const nlohmann::json& model);

// The style sheet every page links.
std::string style_sheet();

} // namespace ptmc::report
