#include "report/documents.hpp"

#include "report/rfc/answers.hpp"

namespace ptmc::report {

namespace {

// The RFC answers check their design variants at bound 3 (report/rfc/README.md): the report's own
// checks are reused when they were made at that bound, and the rest are checked here.
constexpr int kRfcAnswersBound = 3;

std::string rfc_answers(const DocumentInputs& in) {
  rfc::AnswerInputs a;
  a.source_dir = in.source_dir + "/report/rfc";
  a.data_dir = in.data_dir + "/rfc";
  a.scenario_dir = in.scenarios_dir;
  a.bound = kRfcAnswersBound;
  a.profiles = profiles();
  a.check = [&in](const Profile& p) {
    if (in.bound == kRfcAnswersBound)
      if (auto it = in.checks.find(p.name); it != in.checks.end()) return it->second;
    return rfc::check_at(p, kRfcAnswersBound);
  };
  return rfc::write_rfc_answers(a);
}

} // namespace

const std::vector<DocumentGenerator>& document_generators() {
  static const std::vector<DocumentGenerator> generators = {
      {"rfc-answers.md", "Answers to the Redox ptrace RFC's open questions", rfc_answers},
  };
  return generators;
}

} // namespace ptmc::report
