# The two static programs that run on a target's kernel: the tracer agent and /init of the QEMU
# targets' initramfs. Included by kernel/CMakeLists.txt for the machine's own architecture and by
# kernel/aarch64/CMakeLists.txt for arm64, so both builds compile the same sources the same way.
# Needs the target ptmc_scenario.
add_executable(ptmc-agent ${CMAKE_CURRENT_LIST_DIR}/agent.cpp ${CMAKE_CURRENT_LIST_DIR}/codegen.cpp
                          ${CMAKE_CURRENT_LIST_DIR}/agent_sandbox_aarch64.cpp)
target_link_libraries(ptmc-agent PRIVATE ptmc_scenario)
target_link_options(ptmc-agent PRIVATE -static)

# /init of the initramfs the qemu targets boot: runs the agent on /batch, then powers off.
add_executable(ptmc-qemu-init ${CMAKE_CURRENT_LIST_DIR}/qemu_init.cpp)
target_link_options(ptmc-qemu-init PRIVATE -static)
