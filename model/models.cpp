#include "model/models.hpp"

namespace ptmc {

std::optional<std::string> unsupported_by_model(const Scenario& s) {
  const Profile* p = find_profile(s.profile);
  if (!p) return "unknown profile '" + s.profile + "'";
  return with_model(*p,
                    [&]<class M>(std::type_identity<M>) { return M::ArchType::unsupported(s); });
}

} // namespace ptmc
