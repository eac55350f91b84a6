# The two static programs that run on a target's kernel: the tracer agent and /init of the QEMU
# targets' initramfs. Included by kernel/CMakeLists.txt for the machine's own architecture and by
# kernel/aarch64/CMakeLists.txt for arm64, so both builds compile the same sources the same way.
# Needs the target ptmc_scenario.
#
# The sanitizers' runtimes cannot be linked statically, so in a PTMC_SANITIZE build these two
# are built plain, the agent with the plain copy of the scenario code (scenario/CMakeLists.txt);
# the agent's machinery is still tested sanitized, in-process, through ptmc_agent_core.
add_executable(ptmc-agent ${CMAKE_CURRENT_LIST_DIR}/agent.cpp ${CMAKE_CURRENT_LIST_DIR}/codegen.cpp
                          ${CMAKE_CURRENT_LIST_DIR}/agent_protocol.cpp)
# /init of the initramfs the qemu targets boot: runs the agent on /batch, then powers off.
add_executable(ptmc-qemu-init ${CMAKE_CURRENT_LIST_DIR}/qemu_init.cpp)
foreach(program ptmc-agent ptmc-qemu-init)
  target_link_options(${program} PRIVATE -static)
  if(PTMC_SANITIZE)
    target_compile_options(${program} PRIVATE -fno-sanitize=all)
    target_link_options(${program} PRIVATE -fno-sanitize=all)
  endif()
endforeach()
if(PTMC_SANITIZE)
  target_link_libraries(ptmc-agent PRIVATE ptmc_scenario_plain)
else()
  target_link_libraries(ptmc-agent PRIVATE ptmc_scenario)
endif()
