#include "model/redox/smp/check.hpp"

#include "model/redox/smp/products.hpp"
#include "model/redox/smp/scenario.hpp"

#include <sstream>
#include <type_traits>

namespace ptmc::redox_smp {

std::string_view verdict_name(Verdict v) {
  switch (v) {
  case Verdict::holds:
    return "holds";
  case Verdict::violated:
    return "violated";
  case Verdict::known_violation:
    return "known-violation";
  case Verdict::unknown:
    return "unknown";
  }
  return "?";
}

size_t context_switches(const std::vector<Label>& steps) {
  size_t n = 0;
  for (size_t i = 1; i < steps.size(); ++i)
    if (steps[i].who != steps[i - 1].who) ++n;
  return n;
}

namespace {

bool wanted(const CheckOptions& o, Prop p) {
  if (o.only.empty()) return true;
  for (Prop q : o.only)
    if (q == p) return true;
  return false;
}

ExploreLimits limits_for(const CheckOptions& o, const std::string& phase) {
  ExploreLimits l;
  l.max_states = o.max_states;
  l.max_bytes = o.max_bytes;
  if (o.progress)
    l.progress = [&o, phase](uint64_t s, uint64_t t, uint32_t d, double sec) {
      o.progress(phase, s, t, d, sec);
    };
  return l;
}

// Refinement against the interface profile of the same kernel commit, on the common part of
// the domain. Nothing for a variant whose kernel no interface profile models.
std::optional<PropResult> check_interface_refinement(const Variant& v, CheckReport& report,
                                                     const CheckOptions& o) {
  const Profile* spec = o.interface_profile;
  if (!spec) {
    const int version = interface_version(v.version);
    if (!version) return std::nullopt;
    spec = find_profile("redox-" + std::to_string(version));
  }
  // First the same listings run atomically: a difference there is one between the two models
  // of the kernel, not a race. Only if there is none does the concurrent model come next, whose
  // further differences are then the races' (the variant's known violations say which).
  const SmpModel atomic(v.version, interface_domain(report.domain), false, true);
  const SmpModel concurrent(v.version, interface_domain(report.domain), o.por);
  std::optional<RefinementModel> refine_atomic(std::in_place, atomic, *spec);
  const InterfaceTraces& it = refine_atomic->interface_stats();
  ExploreStats spec_stats;
  spec_stats.states = it.nodes;
  spec_stats.transitions = it.runs;
  report.phases.push_back({"interface traces (" + spec->name + ")", spec_stats});
  auto rr = explore(*refine_atomic, limits_for(o, "refinement-interface (atomic)"));
  report.phases.push_back({"refinement-interface (atomic)", rr.stats});
  report.complete = report.complete && rr.stats.complete;
  const RefinementModel* used = &*refine_atomic;
  const SmpModel* side = &atomic;
  std::optional<RefinementModel> refine_concurrent;
  if (!rr.first_violation[static_cast<size_t>(Prop::refinement_interface)]) {
    refine_concurrent.emplace(concurrent, *spec);
    rr = explore(*refine_concurrent, limits_for(o, "refinement-interface"));
    report.phases.push_back({"refinement-interface", rr.stats});
    report.complete = report.complete && rr.stats.complete;
    used = &*refine_concurrent;
    side = &concurrent;
  }
  const RefinementModel& refine = *used;
  PropResult pr;
  pr.property = Prop::refinement_interface;
  const Domain common = interface_domain(report.domain);
  const std::string about =
      "against " + spec->name + ", which is" + (it.deterministic ? "" : " not") +
      " deterministic per observation here (" + std::to_string(it.runs) +
      " request sequences); common part: programs of at most " +
      std::to_string(common.program_bound) + " instructions, at most " +
      std::to_string(common.requests) + " requests then close, O_TRUNC-frozen, no kills; " +
      "transitions that left it: " + std::to_string(refine.outside(Outside::exit_with_tf)) + " (" +
      std::string(outside_name(Outside::exit_with_tf)) + "), " +
      std::to_string(refine.outside(Outside::tracer_ahead)) + " (" +
      std::string(outside_name(Outside::tracer_ahead)) + ")";
  const auto& fv = rr.first_violation[static_cast<size_t>(Prop::refinement_interface)];
  if (fv) {
    pr.verdict = Verdict::violated;
    auto path = rr.path_to(fv->first);
    path.push_back(fv->second);
    const auto init = refine.initial_states().at(rr.root_of(fv->first));
    Interleaving il = refine.interleaving(init, path);
    pr.note = std::string(side == &atomic ? "already with the kernel run atomically: " : "") +
              refine.explain(init, path) + " (" + about + ")";
    if (side == &atomic) pr.atomic_side = true;
    pr.length = il.steps.size();
    pr.context_switches = context_switches(il.steps);
    pr.counterexample = std::move(il);
  } else {
    pr.verdict = rr.stats.complete ? Verdict::holds : Verdict::unknown;
    pr.note = about;
  }
  return pr;
}

} // namespace

ExploreStats explore_only(const Variant& v, const Domain& d, bool por, uint64_t max_states) {
  const SmpModel m(v.version, d, por);
  ExploreLimits l;
  l.max_states = max_states;
  return explore(m, l).stats;
}

CheckReport check(const Variant& v, const CheckOptions& o) {
  CheckReport report;
  report.profile = v.name;
  report.domain = o.domain.value_or(v.domain);
  report.por = o.por;
  const SmpModel model(v.version, report.domain, o.por);

  // 1. One exploration for every single-run property.
  const auto r = explore(model, limits_for(o, "explore"));
  report.phases.push_back({"explore", r.stats});
  report.complete = r.stats.complete;
  report.overflows = model.overflow_count();
  const auto inits = model.initial_states();
  for (const auto& info : prop_table()) {
    if (info.id == Prop::determinism || info.id == Prop::refinement ||
        info.id == Prop::refinement_interface)
      continue;
    if (!wanted(o, info.id)) continue;
    PropResult pr;
    pr.property = info.id;
    const auto& fv = r.first_violation[static_cast<size_t>(info.id)];
    if (fv) {
      Interleaving il;
      il.initial.push_back(inits.at(r.root_of(fv->first)));
      auto path = r.path_to(fv->first);
      path.push_back(fv->second);
      il.steps = model.unfold(il.initial[0], path);
      pr.verdict = Verdict::violated;
      pr.length = il.steps.size();
      pr.context_switches = context_switches(il.steps);
      pr.counterexample = std::move(il);
    } else {
      pr.verdict = r.stats.complete ? Verdict::holds : Verdict::unknown;
      if (!r.stats.complete) pr.note = "stopped by " + r.stats.stopped_by;
    }
    report.results.push_back(std::move(pr));
  }

  // 2. The products.
  if (o.products) {
    if (wanted(o, Prop::determinism)) {
      // Determinism asks whether the schedule alone can change what the tracer sees, so its
      // inputs are fixed: the tracee is frozen at attach (O_TRUNC while off its CPU; a running
      // tracee races with the first write by design) and no third party kills anyone.
      Domain dd = report.domain;
      dd.attach = {Attach::frozen};
      dd.kill_tracee = dd.kill_tracer = false;
      const SmpModel single(v.version, dd, o.por);
      PropResult pr;
      pr.property = Prop::determinism;
      auto take = [&](auto& r, const auto& product, const std::string& phase) {
        report.phases.push_back({phase, r.stats});
        report.complete = report.complete && r.stats.complete;
        const auto& fv = r.first_violation[static_cast<size_t>(Prop::determinism)];
        if (!fv) {
          pr.verdict = r.stats.complete ? Verdict::holds : Verdict::unknown;
          return;
        }
        pr.verdict = Verdict::violated;
        auto path = r.path_to(fv->first);
        path.push_back(fv->second);
        const auto init = product.initial_states().at(r.root_of(fv->first));
        pr.note = product.explain(init, path);
        Interleaving il;
        if constexpr (std::is_same_v<std::decay_t<decltype(product)>, PairedModel>) {
          il = product.left_interleaving(init, path);
        } else {
          il.initial.push_back(init.s);
          il.steps = single.unfold(init.s, path);
        }
        pr.length = il.steps.size();
        pr.context_switches = context_switches(il.steps);
        pr.counterexample = std::move(il);
      };
      if (o.paired_determinism) {
        const PairedModel paired(single);
        const auto r = explore(paired, limits_for(o, "determinism (paired)"));
        take(r, paired, "determinism (paired product)");
      } else {
        const DeterminismModel histories(single);
        const auto r = explore(histories, limits_for(o, "determinism"));
        take(r, histories, "determinism");
      }
      report.results.push_back(std::move(pr));
    }
    if (wanted(o, Prop::refinement)) {
      const RefinementModel refine(model);
      report.phases.push_back({"atomic", refine.atomic_stats()});
      const auto rr = explore(refine, limits_for(o, "refinement"));
      report.phases.push_back({"refinement", rr.stats});
      report.complete = report.complete && rr.stats.complete;
      PropResult pr;
      pr.property = Prop::refinement;
      const auto& fv = rr.first_violation[static_cast<size_t>(Prop::refinement)];
      if (fv) {
        pr.verdict = Verdict::violated;
        auto path = rr.path_to(fv->first);
        path.push_back(fv->second);
        Interleaving il =
            refine.interleaving(refine.initial_states().at(rr.root_of(fv->first)), path);
        pr.note = refine.explain(refine.initial_states().at(rr.root_of(fv->first)), path);
        pr.length = il.steps.size();
        pr.context_switches = context_switches(il.steps);
        pr.counterexample = std::move(il);
      } else {
        pr.verdict = rr.stats.complete ? Verdict::holds : Verdict::unknown;
      }
      report.results.push_back(std::move(pr));
    }
    if (wanted(o, Prop::refinement_interface))
      if (auto pr = check_interface_refinement(v, report, o)) report.results.push_back(*pr);
  }

  // A difference the listings run atomically already show is between the two models of the
  // kernel, never one of the known races.
  for (auto& pr : report.results)
    if (pr.verdict == Verdict::violated && !pr.atomic_side)
      if (const auto* k = v.known_violation(pr.property)) {
        pr.verdict = Verdict::known_violation;
        pr.note = k->explanation + (pr.note.empty() ? "" : " " + pr.note);
      }
  return report;
}

std::string format_interleaving(const Variant& v, const SmpModel& m, const Interleaving& il,
                                const std::string& comment) {
  std::ostringstream out;
  if (!comment.empty()) out << "# " << comment << "\n";
  out << "ptmc-scenario 1\n";
  out << "profile " << v.name << "\n";
  const State& s0 = il.initial.at(0);
  out << "cpus " << m.domain().cpus << "\n";
  out << "open "
      << attach_name((s0.session & sess::frozen_open) ? Attach::frozen
                     : (s0.session & sess::o_trunc)   ? Attach::trunc
                                                      : Attach::plain)
      << "\n";
  std::string kills;
  if (s0.kills & 1) kills += " tracee";
  if (s0.kills & 2) kills += " tracer";
  if (!kills.empty()) out << "kills" << kills << "\n";
  out << "\ntracee:\n";
  for (int i = 0; i < s0.program_length; ++i)
    out << "  " << insn_name(static_cast<Insn>((s0.program >> (2 * i)) & 3)) << "\n";
  out << "\ninterleaving:\n";
  State s = s0;
  for (const Label& l : il.steps) {
    StepInfo info;
    const auto next = m.apply(s, l, &info);
    std::string line = "  " + std::string(who_name(l.who));
    line.resize(10, ' ');
    switch (l.act) {
    case Act::step: {
      const Context& c = s.ctx[l.who];
      const Source& src = m.code().rules.at(m.code().code[c.code].ops.at(c.pc).rule);
      line += "step " + src.file.substr(src.file.rfind('/') + 1) + ":" + std::to_string(src.line);
      break;
    }
    case Act::user:
      line += "user";
      break;
    case Act::request:
      line += "request " + format_request(m.requests().at(l.arg));
      break;
    case Act::sched_in:
      line += "sched-in";
      break;
    case Act::preempt:
      line += "preempt";
      break;
    case Act::sigwake:
      line += "sigwake";
      break;
    case Act::kill:
      line += "kill " + std::string(thread_name(static_cast<Thread>(l.arg)));
      break;
    }
    if (line.size() < 44) line.resize(44, ' ');
    out << line << " # " << m.describe(s, l, info) << "\n";
    if (!next) {
      out << "  # (the model refused this step)\n";
      break;
    }
    s = *next;
  }
  out << "\nexpect:\n";
  for (const std::string& o : outcome_of(m, il)) out << "  " << o << "\n";
  return out.str();
}

} // namespace ptmc::redox_smp
