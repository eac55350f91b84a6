// The attach-permission model's rules (RFC question 5), in two layers: Linux's (kernel/ptrace.c,
// security/commoncap.c, security/yama/yama_lsm.c, fs/exec.c, kernel/cred.c, kernel/sys.c) and
// Redox's (redox-os/kernel at a57ea6a7, "ptrace-end", 2019-08-21; the same code is still in
// e18a8779, 2020-06-17). The redox layer also holds ptmc's proposed rules, which only the
// redox-proposed variant consults. model/security/model.cpp consults them through RuleCtx.
#pragma once

#define PTMC_RULES_SECURITY_LINUX(X)                                                               \
  X(sec_linux_pid_visible, decision, "kernel/ptrace.c sys_ptrace (find_get_task_by_vpid)",         \
    "a pid names a process only from its own pid namespace or an ancestor's; else ESRCH")          \
  X(sec_linux_creds_match, decision, "kernel/ptrace.c __ptrace_may_access",                        \
    "the tracer's real uid equals the target's uid, euid and suid, its real gid the target's "     \
    "gid, egid and sgid (PTRACE_MODE_REALCREDS)")                                                  \
  X(sec_linux_cap_overrides_ids, decision, "kernel/ptrace.c __ptrace_may_access (ptrace_has_cap)", \
    "CAP_SYS_PTRACE in the target's user namespace passes where the ids differ")                   \
  X(sec_linux_dumpable, decision, "kernel/ptrace.c task_still_dumpable",                           \
    "a target that is not SUID_DUMP_USER needs CAP_SYS_PTRACE in its user namespace")              \
  X(sec_linux_caps_subset, decision, "security/commoncap.c cap_ptrace_access_check",               \
    "in the same user namespace the target's permitted caps must be the tracer's or fewer; "       \
    "else, or across namespaces, CAP_SYS_PTRACE in the target's namespace")                        \
  X(sec_linux_ns_capable, decision,                                                                \
    "kernel/capability.c ns_capable, security/commoncap.c "                                        \
    "cap_capable",                                                                                 \
    "a capability holds in its user namespace and every descendant; a namespace's owner holds "    \
    "all of them in it")                                                                           \
  X(sec_linux_already_traced, decision, "kernel/ptrace.c ptrace_attach (task->ptrace)",            \
    "a traced process cannot be attached again (EPERM)")                                           \
  X(sec_linux_yama_relational, decision,                                                           \
    "security/yama/yama_lsm.c yama_ptrace_access_check (YAMA_SCOPE_RELATIONAL)",                   \
    "scope 1: the tracer must be an ancestor, named by PR_SET_PTRACER (or descend from who is), "  \
    "or hold CAP_SYS_PTRACE in the target's namespace")                                            \
  X(sec_linux_yama_capability, decision,                                                           \
    "security/yama/yama_lsm.c yama_ptrace_access_check (YAMA_SCOPE_CAPABILITY)",                   \
    "scope 2: attaching needs CAP_SYS_PTRACE in the target's user namespace")                      \
  X(sec_linux_yama_no_attach, decision,                                                            \
    "security/yama/yama_lsm.c yama_ptrace_access_check (YAMA_SCOPE_NO_ATTACH)",                    \
    "scope 3: nobody attaches")                                                                    \
  X(sec_linux_yama_traceme, decision, "security/yama/yama_lsm.c yama_ptrace_traceme",              \
    "scope 2: PTRACE_TRACEME needs a parent with CAP_SYS_PTRACE; scope 3 refuses it")              \
  X(sec_linux_traceme_caps, decision, "security/commoncap.c cap_ptrace_traceme",                   \
    "PTRACE_TRACEME needs a parent whose caps cover the child's, or CAP_SYS_PTRACE over it")       \
  X(sec_linux_ptracer_cred, effect, "kernel/ptrace.c ptrace_link (__ptrace_link ptracer_cred)",    \
    "tracing records current_cred(): the tracer's on ATTACH and SEIZE, the tracee's own on "       \
    "TRACEME; exec later asks these recorded creds, not the tracer's current ones")                \
  X(sec_linux_exec_setuid, effect, "fs/exec.c bprm_fill_uid",                                      \
    "a setuid-root file sets euid 0, if root is mapped in the process's user namespace")           \
  X(sec_linux_exec_root_caps, effect, "security/commoncap.c handle_privileged_root",               \
    "root (in its user namespace) gets every capability at exec; others keep their ambient caps")  \
  X(sec_linux_exec_ptrace_downgrade, decision,                                                     \
    "fs/exec.c check_unsafe_exec (LSM_UNSAFE_PTRACE), security/commoncap.c "                       \
    "cap_bprm_creds_from_file, kernel/capability.c ptracer_capable",                               \
    "a traced exec that would change ids or gain caps keeps euid = uid and the old caps, unless "  \
    "the recorded tracer creds hold CAP_SYS_PTRACE (or the process holds CAP_SETUID)")             \
  X(sec_linux_exec_dumpable, effect, "fs/exec.c begin_new_exec",                                   \
    "after exec a process is dumpable exactly when euid = uid and egid = gid")                     \
  X(sec_linux_commit_creds_nondumpable, effect, "kernel/cred.c commit_creds",                      \
    "changing euid, egid, fsuid or fsgid, or gaining caps, makes the process non-dumpable")        \
  X(sec_linux_setreuid, decision, "kernel/sys.c __sys_setreuid",                                   \
    "setreuid: each new id must be one the process holds, or it needs CAP_SETUID; the saved "      \
    "uid follows a changed real uid or an euid other than the old real uid")                       \
  X(sec_linux_setuid_drops_caps, effect, "security/commoncap.c cap_emulate_setxuid",               \
    "leaving uid 0 in real, effective and saved uid clears the capabilities")                      \
  X(sec_linux_prctl_dumpable, effect, "kernel/sys.c prctl (PR_SET_DUMPABLE)",                      \
    "PR_SET_DUMPABLE 0 makes a process non-dumpable")                                              \
  X(sec_linux_yama_set_ptracer, effect, "security/yama/yama_lsm.c yama_task_prctl",                \
    "PR_SET_PTRACER names the process allowed to attach under scope 1")                            \
  X(sec_linux_capset_drop, effect,                                                                 \
    "kernel/capability.c capset, kernel/sys.c prctl "                                              \
    "(PR_CAP_AMBIENT)",                                                                            \
    "a process may drop its capabilities, ambient ones too")                                       \
  X(sec_linux_exitkill, decision, "kernel/ptrace.c exit_ptrace",                                   \
    "a tracer's exit SIGKILLs its PTRACE_O_EXITKILL tracees; the others are detached and run on")  \
  X(sec_linux_yama_sticky, decision, "security/yama/yama_lsm.c yama_dointvec_minmax",              \
    "writing ptrace_scope needs CAP_SYS_PTRACE, and once it is 3 it cannot be lowered (EINVAL)")

#define PTMC_RULES_SECURITY_REDOX(X)                                                               \
  X(sec_redox_proc_visible, decision,                                                              \
    "src/scheme/mod.rs SchemeList::new_root, make_ns; src/syscall/fs.rs open @a57ea6a7",           \
    "proc: is a scheme of the root namespace and of namespaces given it; the null namespace has "  \
    "none (ENODEV)")                                                                               \
  X(sec_redox_root_bypass, decision, "src/scheme/proc.rs ProcScheme::open @a57ea6a7, e18a8779",    \
    "`uid != 0 && gid != 0`: a caller with euid 0 or with egid 0 skips every check")               \
  X(sec_redox_owner, decision, "src/scheme/proc.rs ProcScheme::open @a57ea6a7, e18a8779",          \
    "EPERM only if uid != target.euid and gid != target.egid: the caller's euid matching the "     \
    "target's euid, or its egid the target's egid, is enough")                                     \
  X(sec_redox_descendant, decision,                                                                \
    "src/scheme/proc.rs ProcScheme::open (contexts.anchestors(target.ppid)) @a57ea6a7, e18a8779",  \
    "the target must descend from the caller")                                                     \
  X(sec_redox_session_busy, decision, "src/ptrace.rs try_new_session @a57ea6a7",                   \
    "one tracing session per process (EBUSY)")                                                     \
  X(sec_redox_exec_setuid, effect,                                                                 \
    "src/syscall/process.rs fexec_kernel, fexec_noreturn @a57ea6a7, e18a8779",                     \
    "a setuid file sets euid to its owner; an open tracing session is not consulted and stays")    \
  X(sec_redox_close_excl, decision, "src/scheme/proc.rs ProcScheme::close @a57ea6a7",              \
    "closing a session opened with O_EXCL SIGKILLs the tracee; otherwise the tracee runs on")      \
  X(sec_redox_setreuid, decision, "src/syscall/privilege.rs setreuid @a57ea6a7",                   \
    "setreuid: euid 0 may set anything; else each id may become the real or effective uid")        \
  X(sec_redox_prop_all_ids, decision, "proposal (ptmc, report/rfc/q5.md)",                         \
    "non-root: the caller's uid must equal the target's real and effective uid, and its gid the "  \
    "target's real and effective gid")                                                             \
  X(sec_redox_prop_root_ns, decision, "proposal (ptmc, report/rfc/q5.md)",                         \
    "only euid 0 in the root namespace bypasses the checks (not egid 0, not root in a sandbox)")   \
  X(sec_redox_prop_traced_exec, decision, "proposal (ptmc, report/rfc/q5.md)",                     \
    "exec ignores the setuid bit while the process is traced by a non-root tracer")                \
  X(sec_redox_prop_changed_creds, decision, "proposal (ptmc, report/rfc/q5.md)",                   \
    "a process whose ids changed since its last exec can be attached by root only")
