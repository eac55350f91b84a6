// Option parsing shared by the sub-commands, on Boost.Program_options.
#pragma once

#include "cli/commands.hpp"

#include <boost/program_options.hpp>
#include <fmt/core.h>

#include <sstream>

namespace ptmc::cli {

// Parses `args` into `vm`. Returns false when --help was given (and printed). Throws
// UsageError for anything malformed, naming the option.
inline bool parse_options(const Args& args, boost::program_options::options_description& desc,
                          const boost::program_options::positional_options_description* positional,
                          boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  desc.add_options()("help,h", "print this help");
  try {
    po::command_line_parser parser(args);
    parser.options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::ostringstream out;
      out << desc;
      fmt::print("{}", out.str());
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return true;
}

} // namespace ptmc::cli
