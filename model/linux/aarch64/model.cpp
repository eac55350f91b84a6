// The one instantiation of the generic Linux layer over the arm64 glue: the transition function
// of linux-aarch64 and its deltas.
#include "model/linux/aarch64/arch.hpp"
#include "model/linux/model_impl.hpp"

namespace ptmc {
template class LinuxModel<linux_aarch64::Arch>;
} // namespace ptmc
