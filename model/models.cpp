#include "model/models.hpp"

namespace ptmc {

std::optional<std::string> unsupported_by_model(const Scenario& s) {
  const Profile* p = find_profile(s.profile);
  if (!p) return "unknown profile '" + s.profile + "'";
  // The Linux models' unsupported() asks their arch glue too (model/linux/model.hpp).
  return with_model(*p, [&]<class M>(std::type_identity<M>) { return M::unsupported(s); });
}

} // namespace ptmc
