// The attach-permission model. Redox's expectations below are read from the Redox source (each
// test names the code), not from the model; Linux's are checked against Debian's kernel by
// security.qemu-x86_64, and here against the outcomes that run recorded in reports/data/rfc/.
#include "engine/security_check.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace ptmc::security {
namespace {

const Policy& policy(const char* name) {
  const Policy* p = find_policy(name);
  EXPECT_NE(p, nullptr) << name;
  return *p;
}

Label step(const World& w, Act act, std::string_view actor, std::string_view target = {},
           uint8_t value = 0) {
  Label l{act, kNone, kNone, value};
  for (size_t i = 0; i < kProcs; ++i) {
    if (w.names[i] == actor) l.actor = static_cast<int8_t>(i);
    if (w.names[i] == target) l.target = static_cast<int8_t>(i);
  }
  EXPECT_NE(l.actor, kNone) << actor;
  return l;
}

// What the variant shows for each step, in order.
std::vector<std::string> run(const char* variant, const char* world, std::vector<Label> labels) {
  const Trail t = replay(policy(variant), *find_world(world), 0, labels);
  std::vector<std::string> out;
  for (const StepRecord& s : t.steps) out.push_back(s.observed);
  return out;
}

// ---- Redox, as src/scheme/proc.rs ProcScheme::open @a57ea6a7 reads ----------------------------

TEST(RedoxRule, AnEgidMatchIsEnoughForASetuidRootProgram) {
  // `if uid != target.euid && gid != target.egid { EPERM }`: a setuid-root program keeps its
  // caller's egid (fexec_noreturn sets only euid), so the caller's group passes.
  const World& w = *find_world("users");
  EXPECT_EQ(run("redox-2019", "users",
                {step(w, Act::exec_setuid, "alice-child"),
                 step(w, Act::attach, "alice-shell", "alice-child")}),
            (std::vector<std::string>{"uids=1000,0,0", "ok"}));
}

TEST(RedoxRule, GroupZeroSkipsEveryCheck) {
  // `if uid != 0 && gid != 0 { ...checks... }`: egid 0 alone skips them, ancestry included.
  const World& w = *find_world("root-group");
  EXPECT_EQ(run("redox-2019", "root-group", {step(w, Act::attach, "oper-shell", "root-daemon")}),
            (std::vector<std::string>{"ok"}));
}

TEST(RedoxRule, OnlyDescendantsAndOnlyOneSession) {
  // contexts.anchestors(target.ppid) must hold the caller; ptrace::try_new_session gives EBUSY.
  const World& w = *find_world("users");
  EXPECT_EQ(run("redox-2019", "users", {step(w, Act::attach, "alice-child", "alice-shell")}),
            (std::vector<std::string>{"EPERM"}));
  EXPECT_EQ(run("redox-2019", "users", {step(w, Act::attach, "alice-shell", "bob-shell")}),
            (std::vector<std::string>{"EPERM"}));
  EXPECT_EQ(run("redox-2019", "users",
                {step(w, Act::seize, "root-daemon", "bob-shell"),
                 step(w, Act::attach, "root-daemon", "bob-shell")}),
            (std::vector<std::string>{"ok", "EBUSY"}));
}

TEST(RedoxRule, TheNullNamespaceHasNoProcScheme) {
  // SchemeList::get_name finds no names in namespace 0: open fails with ENODEV.
  const World& w = *find_world("scheme-namespace");
  EXPECT_EQ(
      run("redox-2019", "scheme-namespace", {step(w, Act::attach, "null-sandbox", "alice-shell")}),
      (std::vector<std::string>{"ENODEV"}));
}

TEST(RedoxRule, ATracedSetuidExecRaisesTheEuidAndKeepsTheSession) {
  // fexec_noreturn: `if let Some(uid) = setuid { context.euid = uid; }`, traced or not.
  const World& w = *find_world("users");
  EXPECT_EQ(run("redox-2019", "users",
                {step(w, Act::seize, "alice-shell", "alice-child"),
                 step(w, Act::exec_setuid, "alice-child")}),
            (std::vector<std::string>{"ok", "uids=1000,0,0 traced"}));
}

TEST(RedoxRule, ASwappedEuidComesBack) {
  // privilege.rs setreuid: euid 0 may set anything; later euid may become the real uid (0).
  const World& w = *find_world("users");
  EXPECT_EQ(
      run("redox-2019", "users",
          {step(w, Act::exec_setuid, "alice-child"), step(w, Act::lower_euid, "alice-child"),
           step(w, Act::seize, "alice-shell", "alice-child"),
           step(w, Act::raise_euid, "alice-child")}),
      (std::vector<std::string>{"uids=1000,0,0", "uids=0,1000,1000", "ok", "uids=0,0,0 traced"}));
}

TEST(RedoxRule, ClosingAnExclusiveSessionKills) {
  // ProcScheme::close: O_EXCL sends SIGKILL; otherwise ptrace_stop = false and it runs on.
  const World& w = *find_world("users");
  EXPECT_EQ(run("redox-2019", "users",
                {step(w, Act::seize, "root-daemon", "alice-child", 1),
                 step(w, Act::exit, "root-daemon")}),
            (std::vector<std::string>{"ok", "alice-child=killed"}));
  EXPECT_EQ(run("redox-2019", "users",
                {step(w, Act::seize, "root-daemon", "alice-child", 0),
                 step(w, Act::exit, "root-daemon")}),
            (std::vector<std::string>{"ok", "alice-child=untraced"}));
}

TEST(RedoxRule, TheProposalRefusesWhatTheFindingsAllow) {
  const World& users = *find_world("users");
  EXPECT_EQ(run("redox-proposed", "users",
                {step(users, Act::exec_setuid, "alice-child"),
                 step(users, Act::attach, "alice-shell", "alice-child")}),
            (std::vector<std::string>{"uids=1000,0,0", "EPERM"}));
  EXPECT_EQ(run("redox-proposed", "users",
                {step(users, Act::seize, "alice-shell", "alice-child"),
                 step(users, Act::exec_setuid, "alice-child")}),
            (std::vector<std::string>{"ok", "uids=1000,1000,1000 traced"}));
  const World& group = *find_world("root-group");
  EXPECT_EQ(
      run("redox-proposed", "root-group", {step(group, Act::attach, "oper-shell", "root-daemon")}),
      (std::vector<std::string>{"EPERM"}));
  const World& sandbox = *find_world("root-scheme-namespace");
  EXPECT_EQ(run("redox-proposed", "root-scheme-namespace",
                {step(sandbox, Act::attach, "root-sandbox", "root-daemon")}),
            (std::vector<std::string>{"EPERM"}));
}

// ---- The properties ---------------------------------------------------------------------------

constexpr int kBound = 4;

Verdict verdict_of(const VariantReport& r, Property p) {
  return r.verdicts[static_cast<size_t>(p)].verdict;
}

TEST(Properties, EachSeededBugIsCaughtByItsProperty) {
  const std::pair<const char*, Property> bugs[] = {
      {"linux-bug-exec-keeps-setuid", Property::traced_setuid_exec},
      {"linux-bug-no-dumpable", Property::unprivileged_control},
      {"linux-bug-caps-across-ns", Property::no_upward_attach},
      {"linux-bug-no-exitkill", Property::contained_tracee_dies},
  };
  for (const auto& [name, property] : bugs) {
    const VariantReport r = check_variant(policy(name), kBound);
    EXPECT_EQ(verdict_of(r, property), Verdict::expected_violation) << name;
    EXPECT_FALSE(r.unexpected()) << name;
    // The same variant without the bug's expectation: an unexpected violation.
    Policy unexpected = policy(name);
    std::erase_if(unexpected.expected, [&](const ExpectedViolation& e) {
      return e.property == properties()[static_cast<size_t>(property)].name;
    });
    const VariantReport again = check_variant(unexpected, kBound);
    EXPECT_EQ(verdict_of(again, property), Verdict::violated) << name;
    EXPECT_TRUE(again.unexpected()) << name;
  }
}

TEST(Properties, LinuxBreaksOnlyWhatItIsExpectedTo) {
  for (const char* name : {"linux", "linux-yama1", "linux-yama2", "linux-yama3"}) {
    const VariantReport r = check_variant(policy(name), kBound);
    EXPECT_TRUE(r.stats.complete) << name;
    EXPECT_FALSE(r.unexpected()) << name;
    EXPECT_EQ(verdict_of(r, Property::no_upward_attach), Verdict::holds) << name;
    EXPECT_EQ(verdict_of(r, Property::contained_tracee_dies), Verdict::holds) << name;
  }
  // Scope 3 lets nobody trace anybody: nothing to break.
  const VariantReport none = check_variant(policy("linux-yama3"), kBound);
  for (const PropertyVerdict& v : none.verdicts) EXPECT_EQ(v.verdict, Verdict::holds);
}

TEST(Properties, LinuxsViolationsNeedAPrivilegeDrop) {
  // The expected violations come only through a tracer giving up its privileges after it began
  // tracing, or a process dropping capabilities: without those actions the properties hold.
  const AccessModel model(policy("linux"), kBound);
  const auto full = explore(model, ExploreLimits{});
  EXPECT_TRUE(full.first_violation[static_cast<size_t>(Property::unprivileged_control)]);
  EXPECT_TRUE(full.first_violation[static_cast<size_t>(Property::traced_setuid_exec)]);
  AccessModel narrower(policy("linux"), kBound);
  narrower.without(kTracerPrivilegeDrops | kCapabilityDrops);
  const auto rest = explore(narrower, ExploreLimits{});
  for (const auto& v : rest.first_violation) EXPECT_FALSE(v.has_value());
}

TEST(Properties, RedoxFindingsAndTheProposal) {
  const VariantReport found = check_variant(policy("redox-2019"), kBound);
  EXPECT_EQ(verdict_of(found, Property::unprivileged_control), Verdict::expected_violation);
  EXPECT_EQ(verdict_of(found, Property::traced_setuid_exec), Verdict::expected_violation);
  EXPECT_EQ(verdict_of(found, Property::no_upward_attach), Verdict::expected_violation);
  EXPECT_EQ(verdict_of(found, Property::contained_tracee_dies), Verdict::holds);
  const VariantReport proposed = check_variant(policy("redox-proposed"), kBound);
  for (const PropertyVerdict& v : proposed.verdicts) EXPECT_EQ(v.verdict, Verdict::holds);
}

TEST(Model, TheStepCountIsNotPartOfAStatesIdentity) {
  const AccessModel model(policy("linux"), kBound);
  State a = model.start(*find_world("users"));
  State b = a;
  b.steps = 3;
  EXPECT_EQ(model.fingerprint(a), model.fingerprint(b));
  b.procs[1].dumpable = 0;
  EXPECT_NE(model.fingerprint(a), model.fingerprint(b));
}

TEST(Model, EveryActionUsesOnlyItsKernelsRules) {
  // A step consults rules of its own layer only (the registry numbers them by layer).
  for (const char* name : {"linux", "redox-2019"}) {
    const Policy& p = policy(name);
    const AccessModel model(p, kBound);
    const RuleSet own = rules_of({p.layer()});
    for (const State& s : model.initial_states())
      for (const Label& l : model.labels(s)) {
        RuleCtx rules;
        model.apply(s, l, rules);
        EXPECT_EQ((rules.fired() & ~own).count(), 0u) << name << " " << act_name(l.act);
      }
  }
}

// ---- The case table and the recorded kernel run ---------------------------------------------

TEST(Cases, NamesAreUniqueAndStepsNameProcessesOfTheirWorld) {
  std::set<std::string> names;
  for (const auto* list : {&linux_cases(), &redox_cases()})
    for (const Case& c : *list) {
      EXPECT_TRUE(names.insert(c.name).second) << c.name;
      const World* w = find_world(c.world);
      ASSERT_NE(w, nullptr) << c.name;
      if (list == &linux_cases()) {
        EXPECT_TRUE(w->linux) << c.name;
      }
      for (const Label& l : c.steps) {
        EXPECT_GE(l.actor, 0) << c.name;
        EXPECT_LT(l.actor, static_cast<int8_t>(kProcs)) << c.name;
      }
    }
}

nlohmann::json recorded_kernel_run() {
  std::ifstream in(std::string(PTMC_SOURCE_DIR) + "/reports/data/rfc/q5-security-qemu.json");
  EXPECT_TRUE(in.good()) << "reports/data/rfc/q5-security-qemu.json is missing: scripts/rfc-data.sh q5";
  return in ? nlohmann::json::parse(in) : nlohmann::json::object();
}

TEST(RecordedKernelRun, CoversEveryCaseAndAgreesWithTheModelAsItIsNow) {
  // The committed data must be current: regenerate it (scripts/rfc-data.sh q5) after changing
  // the model or the cases.
  const nlohmann::json run = recorded_kernel_run();
  ASSERT_TRUE(run.contains("cases"));
  EXPECT_TRUE(run.value("kernel", "").starts_with("6.")) << run.value("kernel", "");
  for (const Case& c : linux_cases()) {
    ASSERT_TRUE(run["cases"].contains(c.name)) << c.name << " was not run";
    const nlohmann::json& steps = run["cases"][c.name]["steps"];
    const Trail predicted = predict(c);
    ASSERT_EQ(steps.size(), predicted.steps.size()) << c.name;
    for (size_t i = 0; i < steps.size(); ++i)
      EXPECT_EQ(steps[i]["kernel"].get<std::string>(), predicted.steps[i].observed)
          << c.name << " step " << i << " (" << predicted.steps[i].step << ")";
  }
}

TEST(RecordedKernelRun, RefutesEverySeededBug) {
  // Each seeded bug predicts some case differently from what Debian's kernel did.
  const nlohmann::json run = recorded_kernel_run();
  ASSERT_TRUE(run.contains("cases"));
  for (const char* bug : {"linux-bug-exec-keeps-setuid", "linux-bug-no-dumpable",
                          "linux-bug-caps-across-ns", "linux-bug-no-exitkill"}) {
    size_t refuted = 0;
    for (const Case& c : linux_cases()) {
      Policy p = policy(bug);
      p.yama = c.yama;
      const Trail t = replay(p, *find_world(c.world), c.yama, c.steps);
      for (size_t i = 0; i < t.steps.size(); ++i)
        if (run["cases"][c.name]["steps"][i]["kernel"].get<std::string>() != t.steps[i].observed)
          ++refuted;
    }
    EXPECT_GT(refuted, 0u) << bug << " agrees with every recorded kernel outcome";
  }
}

} // namespace
} // namespace ptmc::security
