// The instantiation of the generic Linux layer over the symbolic x86_64 glue (prove/domain.hpp):
// the same templates as model/linux/x86_64/model.cpp, over the prover's value domain.
#include "model/linux/model_impl.hpp"
#include "prove/domain.hpp"

namespace ptmc {
template class LinuxModel<prove::SymArch>;
} // namespace ptmc
