// Which transition function runs a profile. Every engine (the explorer's check, the scenario
// runner, diff) reaches a model through `with_model`, so a new kernel or architecture is one
// more case here and nothing else in the engines.
#pragma once

#include "model/linux/aarch64/arch.hpp"
#include "model/linux/x86_64/arch.hpp"
#include "model/profile.hpp"
#include "model/redox/model.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace ptmc {

// Whether a model type is the Redox interface model; the engines' Linux-shaped templates (check,
// run) hand such a model to their Redox counterparts (engine/redox.hpp).
template <class M> inline constexpr bool kIsRedox = std::is_same_v<M, redox::Model>;

// Calls f(std::type_identity<M>{}) with the model type M of the profile's layers.
template <class F> decltype(auto) with_model(const Profile& p, F&& f) {
  if (p.kernel == "linux" && p.arch == "x86_64")
    return std::forward<F>(f)(std::type_identity<LinuxX86Model>{});
  if (p.kernel == "linux" && p.arch == "aarch64")
    return std::forward<F>(f)(std::type_identity<LinuxArm64Model>{});
  if (p.kernel == "redox" && p.arch == "x86_64" && p.level == Level::interface)
    return std::forward<F>(f)(std::type_identity<redox::Model>{});
  throw std::invalid_argument("profile " + p.name + ": no model for kernel " + p.kernel + " on " +
                              p.arch);
}

// Why a scenario cannot run on the model of its profile, or nullopt (an unknown profile is the
// caller's error, reported before this).
std::optional<std::string> unsupported_by_model(const Scenario& s);

} // namespace ptmc
