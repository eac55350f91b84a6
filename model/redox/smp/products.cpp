#include "model/redox/smp/products.hpp"

namespace ptmc::redox_smp {

namespace {

uint64_t hash_bytes(const void* data, size_t n, uint64_t h) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  h ^= h >> 31;
  h *= 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;
  return h ? h : 1;
}

// The model's initial states, each at the root of its own history.
std::vector<TrieState> with_roots(const SmpModel& m, ObservationTrie& trie) {
  std::vector<TrieState> out;
  const auto inits = m.initial_states();
  for (size_t i = 0; i < inits.size(); ++i)
    out.push_back(TrieState{inits[i], trie.root(static_cast<uint32_t>(i))});
  return out;
}

uint64_t edge_key(uint32_t node, uint32_t obs) {
  return static_cast<uint64_t>(node) << 32 | obs;
}

} // namespace

// ---- PairedModel ----------------------------------------------------------------------------

std::vector<PairState> PairedModel::initial_states() const {
  std::vector<PairState> out;
  for (const redox_smp::State& s : m_.initial_states()) out.push_back(PairState{s, s, 0, {}});
  return out;
}

uint64_t PairedModel::fingerprint(const PairState& s) const {
  return hash_bytes(&s, sizeof(s), 0xcbf29ce484222325ull);
}

Interleaving PairedModel::left_interleaving(const PairState& init,
                                            const std::vector<PairLabel>& path) const {
  Interleaving il;
  il.initial.push_back(init.a);
  for (const PairLabel& l : path)
    if ((l.copy == 0 || l.copy == 2) && !(l.label.who == kEnv && l.label.arg == 0xff))
      il.steps.push_back(l.label);
  return il;
}

std::string PairedModel::explain(const PairState& init, const std::vector<PairLabel>& path) const {
  PairState s = init;
  std::string a_obs, b_obs;
  for (const PairLabel& l : path) {
    if (l.label.who == kEnv && l.label.arg == 0xff) break;
    if (l.copy == 3) continue;
    StepInfo ia, ib;
    if (l.copy == 0 || l.copy == 2) {
      auto n = m_.apply(s.a, l.label, &ia);
      if (n) s.a = *n;
    }
    if (l.copy == 1 || l.copy == 2) {
      auto n = m_.apply(s.b, l.label, &ib);
      if (n) s.b = *n;
    }
    if (!ia.observed.empty()) a_obs = ia.observed;
    if (!ib.observed.empty()) b_obs = ib.observed;
  }
  std::string out = "one schedule gives '" + a_obs + "'";
  if (b_obs != a_obs)
    out += ", another '" + b_obs + "'";
  else
    out += "; the other schedule " + std::string(m_.finished(s.b)
                                                     ? "ends the tracee differently"
                                                     : "hangs instead (" + m_.summary(s.b) + ")");
  out += " (the counterexample shows the first schedule)";
  return out;
}

// ---- ObservationTrie --------------------------------------------------------------------------

uint32_t ObservationTrie::root(uint32_t initial) {
  auto it = roots_.find(initial);
  if (it != roots_.end()) return it->second;
  return roots_[initial] = next_++;
}

uint32_t ObservationTrie::child(uint32_t node, uint32_t obs_code) {
  const uint64_t key = edge_key(node, obs_code);
  auto it = edges_.find(key);
  if (it != edges_.end()) return it->second;
  const uint32_t kind = obs_code & 0xf0000000u;
  if (kind == obs::result || kind == obs::hang || kind == obs::fin) {
    auto [r, fresh] = output_of_.emplace(node, obs_code);
    if (!fresh && r->second != obs_code && nondeterministic_ == kNone) nondeterministic_ = node;
  }
  return edges_[key] = next_++;
}

uint32_t ObservationTrie::first_output(uint32_t node) const {
  auto it = output_of_.find(node);
  return it == output_of_.end() ? 0 : it->second;
}

uint32_t ObservationTrie::find(uint32_t node, uint32_t obs_code) const {
  auto it = edges_.find(edge_key(node, obs_code));
  return it == edges_.end() ? kNone : it->second;
}

// ---- DeterminismModel -------------------------------------------------------------------------

std::vector<TrieState> DeterminismModel::initial_states() const {
  return with_roots(m_, trie_);
}

uint64_t DeterminismModel::fingerprint(const TrieState& s) const {
  return hash_bytes(&s, sizeof(s), 0x2325cbf29ce48422ull);
}

std::string DeterminismModel::explain(const TrieState& init, const std::vector<Label>& path) const {
  // Replay to the node before the last output; its first output is the other schedule's.
  TrieState s = init;
  uint32_t before = s.node;
  std::string now;
  for (const Label& l : path) {
    StepInfo info;
    auto n = m_.apply_reduced(s.s, l, &info);
    if (!n) break;
    s.s = *n;
    auto step = [&](uint32_t code, const std::string& words) {
      before = s.node;
      now = words;
      s.node = trie_.find(s.node, code);
    };
    const uint32_t kind = info.obs & 0xf0000000u;
    if (kind == obs::request || kind == obs::result)
      step(info.obs, info.observed.empty() ? info.note : info.observed);
    if (m_.finished(s.s))
      step(obs::fin | s.s.ctx[static_cast<int>(Thread::tracee)].aux,
           "the end, tracee exit(" + std::to_string(s.s.ctx[static_cast<int>(Thread::tracee)].aux) +
               ")");
    else if (m_.stuck(s.s))
      step(obs::hang, "a hang (" + m_.summary(s.s) + ")");
    if (s.node == ObservationTrie::kNone) break;
  }
  const uint32_t other = trie_.first_output(before);
  const auto it = text_.find(other);
  return "after the same requests and results, this schedule gives " + now + ", another gives " +
         (it == text_.end() ? std::string("something else") : it->second);
}

// ---- AtomicTraceModel, RefinementModel --------------------------------------------------------

std::vector<TrieState> AtomicTraceModel::initial_states() const {
  return with_roots(m_, trie_);
}

uint64_t AtomicTraceModel::fingerprint(const TrieState& s) const {
  return hash_bytes(&s, sizeof(s), 0x84222325cbf29ce4ull);
}

RefinementModel::RefinementModel(const SmpModel& concurrent)
    : m_(concurrent), atomic_(concurrent.version(), concurrent.domain(), false, true) {
  AtomicTraceModel traces(atomic_, trie_);
  ExploreLimits limits;
  atomic_stats_ = explore(traces, limits).stats;
}

RefinementModel::RefinementModel(const SmpModel& concurrent, const Profile& interface)
    : m_(concurrent), atomic_(concurrent.version(), concurrent.domain(), false, true),
      against_interface_(true) {
  interface_stats_ = interface_traces(concurrent, interface, trie_);
}

bool RefinementModel::observed(uint32_t code) const {
  if (!against_interface_) return in_trace(code);
  const uint32_t kind = code & 0xf0000000u;
  return kind == obs::request || kind == obs::result || kind == obs::hang;
}

std::vector<TrieState> RefinementModel::initial_states() const {
  // The atomic exploration created a root for every initial state (the same list).
  return with_roots(m_, const_cast<ObservationTrie&>(trie_));
}

uint64_t RefinementModel::fingerprint(const TrieState& s) const {
  return hash_bytes(&s, sizeof(s), 0x4222325cbf29ce48ull);
}

Interleaving RefinementModel::interleaving(const TrieState& init,
                                           const std::vector<Label>& path) const {
  Interleaving il;
  il.initial.push_back(init.s);
  il.steps = m_.unfold(init.s, path);
  return il;
}

std::string RefinementModel::explain(const TrieState& init, const std::vector<Label>& path) const {
  const std::string spec = against_interface_ ? "the interface profile" : "the atomic kernel";
  TrieState s = init;
  std::string last;
  for (const Label& l : path) {
    StepInfo info;
    auto n = m_.apply_reduced(s.s, l, &info);
    if (!n || leaves_common_part(s.s, l, *n)) break;
    const uint32_t before = s.node;
    s.s = *n;
    if (observed(info.obs)) {
      s.node = trie_.find(before, info.obs);
      if (s.node == ObservationTrie::kNone) {
        last = info.observed.empty() ? "observation " + std::to_string(info.obs) : info.observed;
        std::string out = spec + " never gives '" + last + "' after the same observations";
        if (const uint32_t other = trie_.first_output(before); against_interface_ && other)
          out += "; it gives '" + describe_observation(m_, other) + "'";
        return out;
      }
    }
    if (against_interface_ && m_.finished(s.s)) {
      const uint8_t status = s.s.ctx[static_cast<int>(Thread::tracee)].aux;
      const uint32_t end = s.node;
      s.node = trie_.find(s.node, obs::fin | status);
      if (s.node == ObservationTrie::kNone) {
        std::string out = spec + " never ends with tracee exit(" + std::to_string(status) +
                          ") after the same observations";
        if (const uint32_t other = trie_.first_output(end))
          out += "; it gives '" + describe_observation(m_, other) + "'";
        return out;
      }
    } else if (m_.stuck(s.s)) {
      const uint32_t at = s.node;
      s.node = trie_.find(s.node, obs::hang);
      if (s.node == ObservationTrie::kNone) {
        std::string out =
            spec + " never hangs after the same observations (" + m_.summary(s.s) + ")";
        if (const uint32_t other = trie_.first_output(at); against_interface_ && other)
          out += "; it gives '" + describe_observation(m_, other) + "'";
        return out;
      }
    }
  }
  return "";
}

} // namespace ptmc::redox_smp
