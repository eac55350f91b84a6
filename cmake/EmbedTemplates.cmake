# Writes OUT, a C++ source that holds every file of DIR as a string, so that `ptmc report`
# needs nothing from the source tree at run time. Run as: cmake -DDIR=... -DOUT=... -P this.
file(GLOB files RELATIVE ${DIR} ${DIR}/*)
list(SORT files)
set(body "")
foreach(name ${files})
  file(READ ${DIR}/${name} text)
  string(FIND "${text}" ")ptmc_template\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${name} contains the raw-string delimiter )ptmc_template\"")
  endif()
  string(APPEND body "      {\"${name}\", R\"ptmc_template(${text})ptmc_template\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from report/templates by cmake/EmbedTemplates.cmake; do not edit.
#include \"report/templates.hpp\"

#include <map>

namespace ptmc::report {

std::optional<std::string_view> template_text(std::string_view name) {
  static const std::map<std::string_view, std::string_view> files = {
${body}  };
  const auto it = files.find(name);
  if (it == files.end()) return std::nullopt;
  return it->second;
}

} // namespace ptmc::report
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
