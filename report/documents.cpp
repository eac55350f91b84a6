#include "report/documents.hpp"

namespace ptmc::report {

const std::vector<DocumentGenerator>& document_generators() {
  static const std::vector<DocumentGenerator> generators = {
      // Issue 14 adds {"rfc-answers.md", "Answers to the RFC's questions", write_rfc_answers}.
  };
  return generators;
}

} // namespace ptmc::report
