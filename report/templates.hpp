// The page templates and the style sheet, compiled in from report/templates/.
#pragma once

#include <optional>
#include <string_view>

namespace ptmc::report {

std::optional<std::string_view> template_text(std::string_view name);

} // namespace ptmc::report
