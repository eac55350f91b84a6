// Every input a fuzz target crashed on stays a test: the saved files of fuzz/regressions/ (each
// folder named after its check), and one named case per crash that says what it found.
#include "fuzz/roundtrip.hpp"
#include "kernel/agent_protocol.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ptmc::fuzz {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> check(const std::string& name, std::string_view input) {
  if (name == "scenario") return scenario_problem(input);
  if (name == "trace_line") return trace_line_problem(input);
  if (name == "agent_stream") return agent_stream_problem(input);
  return "no check named " + name;
}

TEST(FuzzRegressions, EverySavedInputPasses) {
  size_t files = 0;
  for (const auto& dir : fs::directory_iterator(PTMC_FUZZ_REGRESSIONS)) {
    if (!dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(dir.path())) {
      std::ifstream in(file.path(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      const auto problem = check(dir.path().filename().string(), text.str());
      EXPECT_FALSE(problem) << file.path() << ": " << *problem;
      ++files;
    }
  }
  EXPECT_GT(files, 0u) << "no saved inputs under " << PTMC_FUZZ_REGRESSIONS;
}

// Found by fuzz_agent_stream: a serial console's \r in the middle of a trace line. The message
// about the damaged line carried the raw \r, so it changed when printed (and would have
// overwritten itself on a terminal). Now every control byte in text from the stream is \xNN.
TEST(FuzzRegressions, CarriageReturnInsideADamagedTraceLine) {
  const std::string text =
      "ptmc-agent 1 kernel=6.1.0-test arch=x86_64\n"
      "begin 0\n"
      "initial at=0 sig=SIGSTOP code=SI_USER op=none rax=0 orig_rax=-1 rbx=0 flags=ZF\n"
      "step at=2 sig=SIGTRAP code=TRAP_TRA\rCE op=none rax=0 orig_rax=-1 rbx=1 flags=ZF\n"
      "exited code=0 written=0\n"
      "end 0 ok\n"
      "done 1\n";
  EXPECT_FALSE(agent_stream_problem(std::string(1, '\1') + text));
  const kernel::AgentStream st = kernel::parse_agent_stream(text, 1, "qemu-x86_64");
  ASSERT_EQ(st.outcomes.size(), 1u);
  EXPECT_EQ(st.outcomes[0].status, kernel::OutcomeStatus::error);
  EXPECT_NE(st.outcomes[0].message.find("code=TRAP_TRA\\x0dCE"), std::string::npos)
      << st.outcomes[0].message;
  EXPECT_EQ(st.outcomes[0].message.find('\r'), std::string::npos);
}

} // namespace
} // namespace ptmc::fuzz
