// One property result as JSON, the same for `ptmc check --json` and `ptmc-mpi --json`, so that
// their outputs compare field by field (tests/mpi).
#pragma once

#include "engine/check.hpp"

#include <nlohmann/json.hpp>

namespace ptmc::cli {

inline nlohmann::json property_result_json(const PropertyResult& r) {
  nlohmann::json p = {{"property", property_info(r.property).name},
                      {"verdict", verdict_name(r.verdict)},
                      {"states", r.states},
                      {"depth", r.depth},
                      {"seconds", r.seconds},
                      {"engine_bytes", r.peak_bytes},
                      {"note", r.note}};
  if (r.counterexample) {
    p["counterexample"] = format_scenario(*r.counterexample);
    p["counterexample_length"] = r.counterexample_length;
    p["found_seconds"] = r.found_seconds;
  }
  return p;
}

} // namespace ptmc::cli
