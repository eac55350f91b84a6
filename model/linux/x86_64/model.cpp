// The one instantiation of the generic Linux layer over the x86_64 glue: the transition function
// of linux-x86_64 and its deltas.
#include "model/linux/model_impl.hpp"
#include "model/linux/x86_64/arch.hpp"

namespace ptmc {
template class LinuxModel<linux_x86_64::Arch>;
} // namespace ptmc
