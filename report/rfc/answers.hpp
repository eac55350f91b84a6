// reports/rfc-answers.md: the answers to the Redox ptrace RFC's open questions (issue 14). The
// prose is report/rfc/q1.md ... q5.md; every verdict, count and figure in it is either computed
// here when the document is generated (the design variants' property verdicts, each variant's
// run of the questions' scenarios on the model, whether a kernel's recorded trace is the
// model's) or read from a recorded data file under reports/data/rfc/ that names the command, the
// time and the kernel it came from. report/rfc/README.md describes both.
#pragma once

#include "engine/check.hpp"
#include "model/profile.hpp"
#include "report/rfc/render.hpp"

#include <functional>
#include <string>
#include <vector>

namespace ptmc::rfc {

// One question's design variants and the scenarios that show them.
struct QuestionPlan {
  std::string key;                     // "q1": the source report/rfc/q1.md
  std::vector<std::string> variants;   // profile names, Linux's first
  std::vector<std::string> properties; // the columns of its verdict table
  std::vector<std::string> scenarios;  // file names under scenarios/
  bool show_rax = false;               // the scenarios' cells show rax (question 1)
  bool on_kernels = true; // the scenarios have recorded kernel runs (not Redox's: no kernel here)
};

// The plans of questions 1 to 3 (4 and 5 rest on recorded data only).
const std::vector<QuestionPlan>& question_plans();

struct AnswerInputs {
  std::string source_dir;   // report/rfc
  std::string data_dir;     // reports/data/rfc
  std::string scenario_dir; // scenarios
  int bound = 3;            // the program bound the verdicts were checked at
  // The profiles to find the variants in: profiles(), or a copy with one delta changed (tests).
  std::vector<Profile> profiles;
  // The question plans to compute (their keys); empty: all. Tests pick one.
  std::vector<std::string> questions;
  // The verdicts of one profile at `bound`: `ptmc report` hands in those it computed already.
  std::function<CheckReport(const Profile&)> check;
};

// The computed data, as the sources read it through {{computed:/...}} placeholders.
Json computed_data(const AnswerInputs& in);

// The whole document. Throws std::runtime_error listing every placeholder that did not resolve
// (FILE:LINE:COLUMN) and every scenario or variant that is missing.
std::string write_rfc_answers(const AnswerInputs& in);

// Checks `profile` at `bound` with the default limits (what a caller without verdicts passes).
CheckReport check_at(const Profile& profile, int bound);

} // namespace ptmc::rfc
