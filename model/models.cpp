#include "model/models.hpp"

namespace ptmc {

std::optional<std::string> unsupported_by_model(const Scenario& s) {
  const Profile* p = find_profile(s.profile);
  if (!p) return "unknown profile '" + s.profile + "'";
  return with_model(*p, [&]<class M>(std::type_identity<M>) {
    if constexpr (kIsRedox<M>)
      return M::unsupported(s);
    else
      return M::ArchType::unsupported(s);
  });
}

} // namespace ptmc
