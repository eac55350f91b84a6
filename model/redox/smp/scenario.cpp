#include "model/redox/smp/scenario.hpp"

#include <algorithm>
#include <sstream>

namespace ptmc::redox_smp {

std::string ScenarioError::what() const {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + message;
}

namespace {

struct Line {
  int number = 0;
  int indent = 0;                                 // column of the first word, 1-based
  std::vector<std::pair<int, std::string>> words; // column, word
};

// Splits a text into lines of words, without comments.
std::vector<Line> tokenize(const std::string& text) {
  std::vector<Line> out;
  std::istringstream in(text);
  std::string raw;
  int n = 0;
  while (std::getline(in, raw)) {
    ++n;
    const size_t hash = raw.find('#');
    if (hash != std::string::npos) raw.resize(hash);
    Line l;
    l.number = n;
    size_t i = 0;
    while (i < raw.size()) {
      while (i < raw.size() && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r')) ++i;
      if (i >= raw.size()) break;
      const size_t start = i;
      while (i < raw.size() && raw[i] != ' ' && raw[i] != '\t' && raw[i] != '\r') ++i;
      l.words.push_back({static_cast<int>(start + 1), raw.substr(start, i - start)});
    }
    if (l.words.empty()) continue;
    l.indent = l.words.front().first;
    out.push_back(std::move(l));
  }
  return out;
}

std::optional<Insn> parse_insn(const std::vector<std::pair<int, std::string>>& w) {
  if (w.size() == 1 && w[0].second == "nop") return Insn::nop;
  if (w.size() == 2 && w[0].second == "syscall" && w[1].second == "getpid") return Insn::getpid;
  if (w.size() == 2 && w[0].second == "syscall" && w[1].second == "clone") return Insn::clone;
  return std::nullopt;
}

std::optional<uint8_t> who_of(const std::string& w) {
  if (w == "tracer") return static_cast<uint8_t>(Thread::tracer);
  if (w == "tracee") return static_cast<uint8_t>(Thread::tracee);
  if (w == "clone") return static_cast<uint8_t>(Thread::clone);
  if (w == "env") return kEnv;
  return std::nullopt;
}

} // namespace

std::optional<std::string> scenario_profile(const std::string& text) {
  for (const Line& l : tokenize(text))
    if (l.words.size() == 2 && l.words[0].second == "profile") return l.words[1].second;
  return std::nullopt;
}

ParsedInterleaving parse_interleaving(const std::string& text, const std::string& source) {
  ParsedInterleaving out;
  InterleavingScenario sc;
  sc.source = source;
  auto fail = [&](int line, int column, std::string message) {
    out.error = ScenarioError{source, line, column, std::move(message)};
    return out;
  };
  const auto lines = tokenize(text);
  if (lines.empty() || lines[0].words.size() != 2 || lines[0].words[0].second != "ptmc-scenario")
    return fail(lines.empty() ? 1 : lines[0].number, 1, "the first line must be 'ptmc-scenario 1'");
  if (lines[0].words[1].second != "1")
    return fail(lines[0].number, lines[0].words[1].first,
                "unknown scenario format version '" + lines[0].words[1].second + "'");
  enum class Section { header, tracee, interleaving, expect } section = Section::header;
  bool seen_tracee = false, seen_interleaving = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const Line& l = lines[i];
    const auto& w = l.words;
    const std::string& first = w[0].second;
    if (w.size() == 1 && first.back() == ':') {
      if (first == "tracee:") {
        if (seen_tracee) return fail(l.number, l.indent, "a second 'tracee:' section");
        seen_tracee = true;
        section = Section::tracee;
      } else if (first == "interleaving:") {
        if (seen_interleaving) return fail(l.number, l.indent, "a second 'interleaving:' section");
        seen_interleaving = true;
        section = Section::interleaving;
      } else if (first == "expect:") {
        if (sc.expect) return fail(l.number, l.indent, "a second 'expect:' section");
        sc.expect.emplace();
        section = Section::expect;
      } else {
        return fail(l.number, l.indent,
                    "unknown section '" + first + "' (tracee:, interleaving:, expect:)");
      }
      continue;
    }
    switch (section) {
    case Section::header:
      if (first == "profile" && w.size() == 2) {
        sc.profile = w[1].second;
        sc.profile_line = l.number;
        if (!find_variant(sc.profile))
          return fail(l.number, w[1].first,
                      "'" + sc.profile + "' is not a concurrent profile (see 'ptmc profiles')");
      } else if (first == "cpus" && w.size() == 2) {
        if (w[1].second != "1" && w[1].second != "2" && w[1].second != "3")
          return fail(l.number, w[1].first, "cpus must be 1, 2 or 3");
        sc.cpus = w[1].second[0] - '0';
      } else if (first == "open" && w.size() == 2) {
        const auto a = attach_by_name(w[1].second);
        if (!a) return fail(l.number, w[1].first, "open is plain, O_TRUNC or O_TRUNC-frozen");
        sc.attach = *a;
      } else if (first == "kills") {
        for (size_t k = 1; k < w.size(); ++k) {
          if (w[k].second == "tracee")
            sc.kill_tracee = true;
          else if (w[k].second == "tracer")
            sc.kill_tracer = true;
          else
            return fail(l.number, w[k].first, "kills names 'tracee' and/or 'tracer'");
        }
      } else {
        return fail(l.number, l.indent,
                    "unknown header line '" + first + "' (profile, cpus, open, kills)");
      }
      break;
    case Section::tracee: {
      const auto insn = parse_insn(w);
      if (!insn)
        return fail(l.number, l.indent, "unknown instruction (nop, syscall getpid, syscall clone)");
      if (sc.program.size() == 4)
        return fail(l.number, l.indent, "the tracee's program is at most 4 instructions");
      sc.program.push_back(*insn);
      break;
    }
    case Section::interleaving: {
      ScenarioStep st;
      st.line = l.number;
      st.column = l.indent;
      const auto who = who_of(first);
      if (!who)
        return fail(l.number, l.indent,
                    "unknown thread '" + first + "' (tracer, tracee, clone, env)");
      if (w.size() < 2) return fail(l.number, l.indent, "a step needs an action");
      st.label.who = *who;
      const std::string& act = w[1].second;
      const int col = w[1].first;
      if (*who == kEnv) {
        if (act != "kill" || w.size() != 3 || (w[2].second != "tracee" && w[2].second != "tracer"))
          return fail(l.number, col, "the env's only action is 'kill tracee' or 'kill tracer'");
        st.label.act = Act::kill;
        st.label.arg = w[2].second == "tracee" ? static_cast<uint8_t>(Thread::tracee)
                                               : static_cast<uint8_t>(Thread::tracer);
      } else if (act == "step") {
        st.label.act = Act::step;
        if (w.size() == 3) st.source = w[2].second;
        if (w.size() > 3) return fail(l.number, w[3].first, "'step' takes one FILE:LINE");
      } else if (act == "user" || act == "sched-in" || act == "preempt" || act == "sigwake") {
        if (w.size() != 2) return fail(l.number, w[2].first, "'" + act + "' takes no argument");
        st.label.act = act == "user"       ? Act::user
                       : act == "sched-in" ? Act::sched_in
                       : act == "preempt"  ? Act::preempt
                                           : Act::sigwake;
      } else if (act == "request") {
        if (*who != static_cast<uint8_t>(Thread::tracer))
          return fail(l.number, col, "only the tracer makes requests");
        if (w.size() < 3)
          return fail(l.number, col, "'request' needs write, read, getregs or close");
        st.label.act = Act::request;
        const std::string& r = w[2].second;
        if (r == "write") {
          if (w.size() != 4) return fail(l.number, w[2].first, "'write' takes one flag word");
          uint8_t flags = 0;
          if (!parse_flags(w[3].second, flags))
            return fail(l.number, w[3].first,
                        "unknown flag in '" + w[3].second +
                            "' (PRE_SYSCALL, POST_SYSCALL, SINGLESTEP, SIGNAL, EXIT, EVENT_CLONE, "
                            "FLAG_IGNORE joined by |)");
          st.request = {Request::Kind::write, flags};
        } else if (r == "read" || r == "getregs" || r == "close") {
          if (w.size() != 3) return fail(l.number, w[3].first, "'" + r + "' takes no argument");
          st.request = {r == "read"      ? Request::Kind::read
                        : r == "getregs" ? Request::Kind::regs
                                         : Request::Kind::close,
                        0};
        } else {
          return fail(l.number, w[2].first,
                      "unknown request '" + r + "' (write, read, getregs, close)");
        }
      } else {
        return fail(l.number, col,
                    "unknown action '" + act +
                        "' (step, user, request, sched-in, preempt, sigwake; env: kill)");
      }
      sc.steps.push_back(st);
      break;
    }
    case Section::expect: {
      std::string joined;
      for (const auto& [c, word] : w) joined += (joined.empty() ? "" : " ") + word;
      sc.expect->push_back(joined);
      break;
    }
    }
  }
  if (sc.profile.empty()) return fail(lines.back().number, 1, "no 'profile' line");
  if (!seen_interleaving) return fail(lines.back().number, 1, "no 'interleaving:' section");
  out.scenario = std::move(sc);
  return out;
}

Domain scenario_domain(const InterleavingScenario& sc) {
  Domain d;
  d.program_bound = static_cast<int>(sc.program.size());
  d.alphabet = {Insn::nop, Insn::getpid, Insn::clone};
  d.writes.clear();
  int requests = 0;
  for (const auto& st : sc.steps) {
    if (st.label.act != Act::request) continue;
    if (st.request.kind != Request::Kind::close) ++requests;
    if (st.request.kind == Request::Kind::write &&
        std::find(d.writes.begin(), d.writes.end(), st.request.flags) == d.writes.end())
      d.writes.push_back(st.request.flags);
  }
  d.requests = std::min(requests, 7);
  d.regs = true;
  d.kill_tracee = sc.kill_tracee;
  d.kill_tracer = sc.kill_tracer;
  d.attach = {sc.attach};
  d.cpus = sc.cpus;
  return d;
}

namespace {

void add_outcome(std::vector<std::string>& out, const StepInfo& info) {
  if (!info.observed.empty()) out.push_back(info.observed);
  for (const auto& p : prop_table())
    if (info.violations & bit(p.id)) out.push_back("violation " + std::string(p.name));
}

} // namespace

std::vector<std::string> outcome_of(const SmpModel& m, const Interleaving& il) {
  std::vector<std::string> out;
  State s = il.initial.at(0);
  for (const Label& l : il.steps) {
    StepInfo info;
    auto n = m.apply(s, l, &info);
    if (!n) break;
    add_outcome(out, info);
    s = *n;
  }
  return out;
}

ReplayResult replay(const Variant& v, const InterleavingScenario& sc) {
  ReplayResult r;
  const Domain d = scenario_domain(sc);
  const SmpModel m(v.version, d, false);
  State s = m.initial_state(sc.program, sc.attach);
  size_t index = 0;
  for (const ScenarioStep& st : sc.steps) {
    ++index;
    Label l = st.label;
    if (l.act == Act::request) {
      const auto& reqs = m.requests();
      const auto it = std::find_if(reqs.begin(), reqs.end(), [&](const Request& q) {
        return q.kind == st.request.kind && q.flags == st.request.flags;
      });
      l.arg = static_cast<uint8_t>(it - reqs.begin());
    }
    if (l.act == Act::step && !st.source.empty() && l.who != kEnv) {
      const Context& c = s.ctx[l.who];
      if (c.code != 0 && c.pc < m.code().code[c.code].ops.size()) {
        const Source& src = m.code().rules.at(m.code().code[c.code].ops[c.pc].rule);
        const std::string here =
            src.file.substr(src.file.rfind('/') + 1) + ":" + std::to_string(src.line);
        if (here != st.source) {
          r.error = ScenarioError{sc.source, st.line, st.column,
                                  "the " + std::string(who_name(l.who)) + "'s next step is " +
                                      here + " (" + src.function + "), not " + st.source};
          return r;
        }
      }
    }
    StepInfo info;
    const auto next = m.apply(s, l, &info);
    if (!next) {
      r.error = ScenarioError{sc.source, st.line, st.column,
                              "the model cannot take this step here (state: " + m.summary(s) + ")"};
      return r;
    }
    std::string line = std::to_string(index) + ". " + std::string(who_name(l.who));
    line.resize(std::max<size_t>(line.size(), 12), ' ');
    line += m.describe(s, l, info);
    r.printed.push_back(line);
    add_outcome(r.outcome, info);
    s = *next;
  }
  if (sc.expect) {
    const auto& e = *sc.expect;
    const size_t n = std::min(e.size(), r.outcome.size());
    size_t i = 0;
    while (i < n && e[i] == r.outcome[i]) ++i;
    if (i < e.size() || i < r.outcome.size()) {
      r.matches_expect = false;
      r.first_difference = i;
    }
  }
  return r;
}

} // namespace ptmc::redox_smp
