"""rslm candidate confinement: capabilities, no_new_privs, Landlock (reads too) and seccomp.

Prepended to harness.py (the worker is built as `confine.py + harness.py`), so this file only
defines things: no side effect at import beyond `_LIBC` and constants, and every private name
starts with `_cf_` / `_CF_` so it cannot clash with the harness's own.

The worker (a single-threaded zygote) calls, once at start:
    join_pids_cgroup_any(limit, os.getpid())       # before unshare(CLONE_NEWUSER)
    ... unshare, preload ...
    paths = python_read_paths()
    probe = confinement_probe(paths, disabled)     # what really works on this machine
    conf = Confinement(probe["landlock_abi"], probe["seccomp"], paths, set(probe["disabled"]))
and in each forked candidate child, after os.setpgid(0, 0), with conf.keep_fds() kept open when
it closes the inherited fds:
    conf.apply(workdir); conf.close_fds()
Confinement() (and so the probe) empties the zygote's own capability bounding set, which only
limits what an execve could gain: build it after any unshare(CLONE_NEWUSER), which refills it
(apply() would then have to empty it in every child, ~80 us more).

What the candidate keeps: reading the directories Python imports from (stdlib, lib-dynload,
site-packages, the system library dirs, ld.so.cache, zoneinfo), everything in its own dir,
/dev/null, /dev/zero, /dev/urandom; AF_INET/AF_INET6 sockets (no TCP bind/connect with Landlock
ABI 4+; the worker's network namespace has no network anyway) and socketpair(); fork, threads;
signals to itself and its own process group. Everything else in the file system (the task files,
other candidates, /proc of any process, /etc), Unix sockets, other processes (signals, ptrace,
process_vm_*, pidfds), keyrings, bpf, perf, io_uring, mounts and namespaces are refused.
Known costs of that: subprocesses of anything but sys.executable cannot be executed, `pwd`/`grp`
lookups and DNS fail (no /etc), multiprocessing's semaphores (/dev/shm) fail, and a process the
candidate forks cannot signal itself by pid (the seccomp filter's "own pid" is the candidate's).
"""

import ctypes
import errno
import os
import struct
import sys

_LIBC = ctypes.CDLL(None, use_errno=True)

# --- kernel constants -------------------------------------------------------------------------

_CF_PR_CAPBSET_READ = 23
_CF_PR_CAPBSET_DROP = 24
_CF_PR_SET_NO_NEW_PRIVS = 38
_CF_PR_GET_NO_NEW_PRIVS = 39
_CF_PR_CAP_AMBIENT = 47
_CF_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CF_PR_SET_PDEATHSIG = 1
_CF_PR_GET_SECCOMP = 21
_CF_PR_SET_SECCOMP = 22
_CF_SECCOMP_MODE_FILTER = 2
_CF_CAP_SETPCAP = 8
_CF_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Landlock uapi (include/uapi/linux/landlock.h); the syscalls are 444-446 on x86_64 and aarch64.
_CF_SYS_LANDLOCK_CREATE_RULESET = 444
_CF_SYS_LANDLOCK_ADD_RULE = 445
_CF_SYS_LANDLOCK_RESTRICT_SELF = 446
_CF_LANDLOCK_CREATE_RULESET_VERSION = 1
_CF_LANDLOCK_RULE_PATH_BENEATH = 1
_CF_LL_EXECUTE = 1 << 0
_CF_LL_WRITE_FILE = 1 << 1
_CF_LL_READ_FILE = 1 << 2
_CF_LL_READ_DIR = 1 << 3
_CF_LL_ABI1_FS = (1 << 13) - 1  # EXECUTE .. MAKE_SYM, bits 0-12
_CF_LL_REFER = 1 << 13  # ABI 2
_CF_LL_TRUNCATE = 1 << 14  # ABI 3
_CF_LL_IOCTL_DEV = 1 << 15  # ABI 5
_CF_LL_READS = _CF_LL_EXECUTE | _CF_LL_READ_FILE | _CF_LL_READ_DIR
# What a rule on a non-directory may carry; anything else there is EINVAL.
_CF_LL_FILE_RIGHTS = _CF_LL_EXECUTE | _CF_LL_WRITE_FILE | _CF_LL_READ_FILE | _CF_LL_TRUNCATE | _CF_LL_IOCTL_DEV
_CF_LL_NET_TCP = (1 << 0) | (1 << 1)  # ABI 4: BIND_TCP | CONNECT_TCP
_CF_LL_SCOPE_ALL = (1 << 0) | (1 << 1)  # ABI 6: ABSTRACT_UNIX_SOCKET | SIGNAL
_CF_LL_KNOWN_ABI = 7  # ABI 7 added audit flags, no rights: a newer ABI is used as 7

# Classic BPF for seccomp (include/uapi/linux/filter.h, seccomp.h).
_CF_BPF_LD_W_ABS = 0x20
_CF_BPF_JEQ_K = 0x15
_CF_BPF_JGE_K = 0x35
_CF_BPF_RET_K = 0x06
_CF_SECCOMP_RET_ALLOW = 0x7FFF0000
_CF_SECCOMP_RET_ERRNO = 0x00050000
_CF_SECCOMP_DATA_NR = 0
_CF_SECCOMP_DATA_ARCH = 4
# Low 32 bits of args[0] (little endian). The kernel truncates int arguments (pid, family) to
# 32 bits, so comparing only these is what it will act on, whatever the upper half holds.
_CF_SECCOMP_DATA_ARG0_LO = 16
_CF_X32_SYSCALL_BIT = 0x40000000
_CF_AF_INET = 2
_CF_AF_INET6 = 10
_CF_PID_PLACEHOLDER = 0x7FFFFFFE  # patched with the child's pid (and -pid) in apply()

# Syscalls refused outright (EPERM). Other processes, kernel attack surface, mounts/namespaces.
_CF_DENIED_NAMES = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "pidfd_send_signal",
    "pidfd_open", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "mount", "umount2", "pivot_root",
    "chroot", "unshare", "setns", "open_by_handle_at", "name_to_handle_at", "init_module",
    "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "quotactl_fd", "mount_setattr", "move_mount", "open_tree",
    "fsopen", "fsmount", "fspick",
)
# Allowed only when args[0] is the candidate's own pid (tgid), i.e. signalling itself/its threads.
_CF_SELF_ONLY_NAMES = ("tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
# Beyond the brief's list: unshare and setns are refused, so namespaces must not come through
# clone's flags either (a new user namespace hands back every capability inside it). clone() is
# refused with any CLONE_NEW* flag (args[0], the flags on x86_64 and aarch64 alike; CLONE_NEWTIME
# is not among them: for clone() that bit is part of the exit signal). clone3() passes its flags
# in memory, which a filter cannot read, so it answers ENOSYS: glibc then falls back to clone()
# for threads, posix_spawn and fork, as it does under Docker's default profile.
_CF_CLONE_NAMESPACE_FLAGS = 0x7E020000  # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_CF_BPF_JSET_K = 0x45

# From /usr/include/x86_64-linux-gnu/asm/unistd_64.h and asm-generic/unistd.h (which aarch64
# uses); confine_selftest.py checks both against the headers where they are installed.
_CF_SYSCALLS_X86_64 = {
    "socket": 41, "kill": 62, "clone": 56, "clone3": 435, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "pidfd_getfd": 438, "pidfd_send_signal": 424, "pidfd_open": 434, "tkill": 200, "tgkill": 234,
    "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "keyctl": 250, "add_key": 248,
    "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "mount": 165,
    "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "open_by_handle_at": 304, "name_to_handle_at": 303, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320, "reboot": 169, "swapon": 167,
    "swapoff": 168, "acct": 163, "quotactl": 179, "quotactl_fd": 443, "mount_setattr": 442,
    "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsmount": 432, "fspick": 433,
}
_CF_SYSCALLS_AARCH64 = {
    "socket": 198, "kill": 129, "clone": 220, "clone3": 435, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
    "pidfd_getfd": 438, "pidfd_send_signal": 424, "pidfd_open": 434, "tkill": 130, "tgkill": 131,
    "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240, "keyctl": 219, "add_key": 217,
    "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "mount": 40,
    "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268,
    "open_by_handle_at": 265, "name_to_handle_at": 264, "init_module": 105, "finit_module": 273,
    "delete_module": 106, "kexec_load": 104, "kexec_file_load": 294, "reboot": 142, "swapon": 224,
    "swapoff": 225, "acct": 89, "quotactl": 60, "quotactl_fd": 443, "mount_setattr": 442,
    "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsmount": 432, "fspick": 433,
}
# uname machine -> (AUDIT_ARCH_*, table, whether x32 syscall numbers must be refused)
_CF_SECCOMP_ARCHES = {
    "x86_64": (0xC000003E, _CF_SYSCALLS_X86_64, True),
    "aarch64": (0xC00000B7, _CF_SYSCALLS_AARCH64, False),
}

# The names `disabled` understands (the harness's CONFIG "disable" list); others are ignored.
#   landlock        no Landlock at all            landlock-reads  Landlock confines writes only
#   seccomp         no seccomp filter             caps            capabilities are kept
_CF_LAYERS = ("landlock", "landlock-reads", "seccomp", "caps")


# --- small helpers --------------------------------------------------------------------------

def _cf_func(name, restype, *argtypes):
    """A private foreign function object (indexing the CDLL makes a new one, so setting argtypes
    here cannot change a function the harness looks up on its own CDLL)."""
    fn = _LIBC[name]
    fn.restype = restype
    if argtypes:
        fn.argtypes = argtypes
    return fn


class ConfinementError(OSError):
    """apply() failed; `layer` names the step (caps, no_new_privs, landlock, seccomp)."""

    def __init__(self, err, layer, what):
        OSError.__init__(self, err, "%s: %s: %s" % (layer, what, os.strerror(err) if err else "failed"))
        self.layer = layer


def landlock_abi_version():
    """The kernel's Landlock ABI (0: absent or disabled at boot)."""
    syscall = _cf_func("syscall", ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32)
    abi = syscall(_CF_SYS_LANDLOCK_CREATE_RULESET, None, 0, _CF_LANDLOCK_CREATE_RULESET_VERSION)
    return abi if abi > 0 else 0


def _cf_seccomp_arch():
    """(audit arch, syscall table, x32 check) for this process, or None where unsupported. A
    32-bit or x32 interpreter on an x86_64 kernel makes i386/x32 syscalls: not supported."""
    if ctypes.sizeof(ctypes.c_void_p) != 8 or sys.byteorder != "little":
        return None
    arch = _CF_SECCOMP_ARCHES.get(os.uname().machine)
    if arch is None:
        return None
    prctl = _cf_func("prctl", ctypes.c_int, ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
    if prctl(_CF_PR_GET_SECCOMP, 0, 0, 0, 0) < 0:  # EINVAL: a kernel without CONFIG_SECCOMP
        return None
    return arch


def _cf_capget():
    """(effective, permitted, inheritable) as 64-bit masks."""
    header = struct.pack("=Ii", _CF_LINUX_CAPABILITY_VERSION_3, 0)
    hbuf = ctypes.create_string_buffer(header, 8)
    dbuf = ctypes.create_string_buffer(24)
    capget = _cf_func("capget", ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    if capget(ctypes.addressof(hbuf), ctypes.addressof(dbuf)) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    e0, p0, i0, e1, p1, i1 = struct.unpack("=6I", dbuf.raw)
    return e0 | e1 << 32, p0 | p1 << 32, i0 | i1 << 32


def _cf_last_cap():
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        prctl = _cf_func("prctl", ctypes.c_int, ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
        cap = 0
        while cap < 63 and prctl(_CF_PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0:
            cap += 1
        return cap


def _cf_bpf_program(arch, table, x32):
    """The seccomp filter as bytes of struct sock_filter, its length, and the byte offsets of the
    `k` fields holding the pid placeholder ([0]: the pid, [1]: -pid).

    The syscall number is dispatched by a balanced tree of `nr >= K` tests over the number line
    cut into segments (allowed gap, refused interval, socket, kill, self-only), not by a chain
    of `nr == K` tests: a syscall then takes ~7 comparisons instead of ~50. That matters less at
    run time than when the filter is installed: the kernel (5.11+) precomputes which syscalls
    are always allowed by emulating the filter for every syscall number, so the install cost
    grows with the length of the path an allowed syscall walks (a chain cost ~60 us more)."""
    deny = _CF_SECCOMP_RET_ERRNO | errno.EPERM
    prog = []  # [code, jt, jf, k]; jt/jf are labels (str) or 0 until resolved
    labels = {}

    def op(code, k, jt=0, jf=0):
        prog.append([code, jt, jf, k])

    action = {}
    for name in _CF_DENIED_NAMES:
        action[table[name]] = "deny"
    for name in _CF_SELF_ONLY_NAMES:
        action[table[name]] = "self"
    action[table["socket"]] = "socket"
    action[table["kill"]] = "kill"
    action[table["clone"]] = "clone"
    action[table["clone3"]] = "enosys"
    segments = []  # [lo, hi, label], covering 0 .. 2**32 - 1 in order
    for nr in sorted(action):
        if segments and segments[-1][1] == nr - 1 and segments[-1][2] == action[nr]:
            segments[-1][1] = nr
            continue
        start = segments[-1][1] + 1 if segments else 0
        if nr > start:
            segments.append([start, nr - 1, "allow"])
        segments.append([nr, nr, action[nr]])
    start = segments[-1][1] + 1
    if x32:  # x32 syscalls have the same arch and this bit set: refuse them all
        segments.append([start, _CF_X32_SYSCALL_BIT - 1, "allow"])
        segments.append([_CF_X32_SYSCALL_BIT, 0xFFFFFFFF, "deny"])
    else:
        segments.append([start, 0xFFFFFFFF, "allow"])

    def tree(part):
        """Emits the tests for `part` (a list of segments); returns the label to jump to."""
        if len(part) == 1:
            return part[0][2]
        here = len(prog)
        labels["n%d" % here] = here
        mid = len(part) // 2
        op(_CF_BPF_JGE_K, part[mid][0])
        prog[here][2] = tree(part[:mid])  # jf: below part[mid]
        prog[here][1] = tree(part[mid:])  # jt: part[mid] and above
        return "n%d" % here

    op(_CF_BPF_LD_W_ABS, _CF_SECCOMP_DATA_ARCH)
    # Another ABI (i386 via int 0x80 on x86_64) would use another table: refuse all of it.
    op(_CF_BPF_JEQ_K, arch, 0, "deny")
    op(_CF_BPF_LD_W_ABS, _CF_SECCOMP_DATA_NR)
    root = tree(segments)
    if root in ("allow", "deny"):  # cannot happen with a non-empty table; keeps labels sound
        op(_CF_BPF_JEQ_K, 0, root, root)
    # socket(): only the Internet families (no AF_UNIX, AF_NETLINK, AF_PACKET, AF_VSOCK...).
    labels["socket"] = len(prog)
    op(_CF_BPF_LD_W_ABS, _CF_SECCOMP_DATA_ARG0_LO)
    op(_CF_BPF_JEQ_K, _CF_AF_INET, "allow", 0)
    op(_CF_BPF_JEQ_K, _CF_AF_INET6, "allow", "deny")
    # kill(): 0 (own group), -pid (own group: the candidate leads it), pid (itself).
    labels["kill"] = len(prog)
    op(_CF_BPF_LD_W_ABS, _CF_SECCOMP_DATA_ARG0_LO)
    op(_CF_BPF_JEQ_K, 0, "allow", 0)
    negative = len(prog)
    op(_CF_BPF_JEQ_K, (-_CF_PID_PLACEHOLDER) & 0xFFFFFFFF, "allow", 0)
    own_kill = len(prog)
    op(_CF_BPF_JEQ_K, _CF_PID_PLACEHOLDER, "allow", "deny")
    # clone(): no new namespaces.
    labels["clone"] = len(prog)
    op(_CF_BPF_LD_W_ABS, _CF_SECCOMP_DATA_ARG0_LO)
    op(_CF_BPF_JSET_K, _CF_CLONE_NAMESPACE_FLAGS, "deny", "allow")
    # tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo: the target (thread group) is itself.
    labels["self"] = len(prog)
    op(_CF_BPF_LD_W_ABS, _CF_SECCOMP_DATA_ARG0_LO)
    own_self = len(prog)
    op(_CF_BPF_JEQ_K, _CF_PID_PLACEHOLDER, "allow", "deny")
    labels["allow"] = len(prog)
    op(_CF_BPF_RET_K, _CF_SECCOMP_RET_ALLOW)
    labels["deny"] = len(prog)
    op(_CF_BPF_RET_K, deny)
    labels["enosys"] = len(prog)
    op(_CF_BPF_RET_K, _CF_SECCOMP_RET_ERRNO | errno.ENOSYS)
    out = []
    for i, (code, jt, jf, k) in enumerate(prog):
        # BPF jumps are forward-only and relative to the next instruction, at most 255.
        jt = labels[jt] - i - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - i - 1 if isinstance(jf, str) else jf
        if not (0 <= jt <= 255 and 0 <= jf <= 255):
            raise ValueError("seccomp program jump out of range")
        out.append(struct.pack("=HBBI", code, jt, jf, k))
    return b"".join(out), len(prog), ([own_kill * 8 + 4, own_self * 8 + 4], [negative * 8 + 4])


# --- the confinement --------------------------------------------------------------------------

class Confinement:
    """Built once per zygote process (single-threaded) with the allow-lists; `apply` runs in each
    forked candidate child.

    landlock_abi: the ABI to use (0: no Landlock; from confinement_probe). use_seccomp: install
    the filter (from the probe). read_paths: what the candidate may read (python_read_paths()).
    disabled: layer names to leave out, see _CF_LAYERS ("landlock", "landlock-reads", "seccomp",
    "caps"). Everything constant (the ruleset attribute, one O_PATH fd and rule per allowed
    path, the BPF program) is prepared here, so apply() is a few dozen syscalls."""

    def __init__(self, landlock_abi, use_seccomp, read_paths, disabled):
        disabled = set(disabled or ())
        self.landlock_abi = 0 if "landlock" in disabled else min(int(landlock_abi or 0), _CF_LL_KNOWN_ABI)
        self.confine_reads = bool(self.landlock_abi) and "landlock-reads" not in disabled
        self.drop_caps = "caps" not in disabled
        self._cf_fds = []
        # The first ctypes call in a fresh child costs 20-40 us of copy-on-write faults, and
        # each argtypes conversion adds to it. So apply() calls functions without argtypes,
        # passing only small ints (libffi widens them to full registers, which the variadic
        # prctl/syscall read as longs) and ctypes buffers (passed as pointers).
        self._cf_prctl = _cf_func("prctl", ctypes.c_int)
        self._cf_syscall = _cf_func("syscall", ctypes.c_long)
        self._cf_capset = _cf_func("capset", ctypes.c_int)
        self._cf_errno = ctypes.get_errno
        self._cf_getpid, self._cf_open, self._cf_close = os.getpid, os.open, os.close
        self._cf_pack_u32 = struct.Struct("=I").pack_into
        self._cf_pack_rule = struct.Struct("=Qi").pack
        self._cf_o_path = os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY

        # Capabilities. The bounding set only limits what an execve could gain, and it can only
        # be shrunk with CAP_SETPCAP ("where permitted": an unprivileged worker has nothing to
        # drop; no_new_privs stops exec from gaining anyway). Emptying it costs ~40 prctl calls
        # (~80 us in a fresh child), so it is emptied here, once, in the zygote itself, which
        # never execs: children inherit the empty set. apply() still checks one capability,
        # since an unshare(CLONE_NEWUSER) after this would give the zygote a full set again.
        # capset(0, 0, 0) needs no privilege.
        self._cf_last_cap = _cf_last_cap()
        self._cf_bset_sentinel = 0
        self.bounding_dropped = False
        if self.drop_caps:
            prctl = self._cf_prctl
            present = [c for c in range(self._cf_last_cap + 1) if prctl(_CF_PR_CAPBSET_READ, c, 0, 0, 0) == 1]
            self._cf_bset_sentinel = present[0] if present else 0
            self.bounding_dropped = self._cf_drop_bounding(present)
        self._cf_cap_header = ctypes.create_string_buffer(struct.pack("=Ii", _CF_LINUX_CAPABILITY_VERSION_3, 0), 8)
        self._cf_cap_data = ctypes.create_string_buffer(24)  # zero effective/permitted/inheritable

        # Landlock.
        self._cf_rules = []  # prebuilt struct landlock_path_beneath_attr buffers
        if self.landlock_abi:
            self._cf_init_landlock(read_paths)

        # seccomp.
        self.seccomp = False
        if use_seccomp and "seccomp" not in disabled:
            arch = _cf_seccomp_arch()
            if arch is None:
                raise OSError(errno.ENOSYS, "seccomp filters are not supported on this architecture")
            program, count, (own, negative) = _cf_bpf_program(*arch)
            self._cf_bpf = ctypes.create_string_buffer(program, len(program))
            self._cf_bpf_own, self._cf_bpf_negative = own, negative
            # struct sock_fprog { unsigned short len; struct sock_filter *filter; } (64-bit)
            self._cf_fprog = ctypes.create_string_buffer(struct.pack("=HxxxxxxQ", count, ctypes.addressof(self._cf_bpf)), 16)
            self.seccomp = True

    def _cf_drop_bounding(self, caps):
        """Drops `caps` from the bounding set; False if not permitted (no CAP_SETPCAP)."""
        prctl = self._cf_prctl
        for cap in caps:
            if prctl(_CF_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                err = self._cf_errno()
                if err == errno.EPERM:
                    return False
                raise ConfinementError(err, "caps", "PR_CAPBSET_DROP %d" % cap)
        return True

    def _cf_init_landlock(self, read_paths):
        abi = self.landlock_abi
        handled = _CF_LL_ABI1_FS
        if abi >= 2:
            handled |= _CF_LL_REFER
        if abi >= 3:
            handled |= _CF_LL_TRUNCATE
        if abi >= 5:
            handled |= _CF_LL_IOCTL_DEV
        if not self.confine_reads:
            handled &= ~_CF_LL_READS
        self.handled_fs = handled
        fields = [handled]
        if abi >= 4:
            fields.append(_CF_LL_NET_TCP)  # handled with no rule: no TCP bind or connect
        if abi >= 6:
            fields.append(_CF_LL_SCOPE_ALL)  # abstract Unix sockets and signals: own domain only
        self._cf_attr = ctypes.create_string_buffer(struct.pack("=%dQ" % len(fields), *fields), 8 * len(fields))
        self._cf_attr_size = 8 * len(fields)

        wanted = []  # (realpath, rights if a directory, rights if not)
        if self.confine_reads:
            for path in read_paths:
                wanted.append((path, _CF_LL_READS, _CF_LL_EXECUTE | _CF_LL_READ_FILE))
        wanted.append(("/dev/null", 0, _CF_LL_READ_FILE | _CF_LL_WRITE_FILE | _CF_LL_TRUNCATE))
        wanted.append(("/dev/zero", 0, _CF_LL_READ_FILE))
        wanted.append(("/dev/urandom", 0, _CF_LL_READ_FILE))
        # A rule covers the whole tree beneath it, so nested read paths (site-packages under
        # /usr/lib) and duplicates (/lib -> /usr/lib) are dropped: fewer syscalls per candidate.
        resolved = []
        for path, dir_rights, file_rights in wanted:
            try:
                real = os.path.realpath(path)
                st = os.stat(real)
            except (OSError, ValueError):
                continue
            isdir = (st.st_mode & 0o170000) == 0o040000
            rights = (dir_rights if isdir else file_rights & _CF_LL_FILE_RIGHTS) & handled
            if rights:
                resolved.append((real, isdir, rights))
        resolved.sort(key=lambda item: (len(item[0]), item[0]))
        kept_dirs = []
        self.rule_paths = []  # what got a rule, for diagnosis
        for real, isdir, rights in resolved:
            covered = any(real == d or real.startswith(d.rstrip("/") + "/") for d, r in kept_dirs if r & rights == rights)
            if covered:
                continue
            fd = os.open(real, os.O_PATH | os.O_CLOEXEC)
            self._cf_fds.append(fd)
            self._cf_rules.append(ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12))
            self.rule_paths.append(real)
            if isdir:
                kept_dirs.append((real, rights))
        # The per-candidate rule (built in apply): every handled right beneath its own dir.
        self._cf_dir_rights = handled

    def keep_fds(self):
        """The fds apply() needs: keep them when closing inherited fds in the child."""
        return list(self._cf_fds)

    def close_fds(self):
        """Closes them (in the child after apply(), or in the zygote when done with this)."""
        for fd in self._cf_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._cf_fds = []

    def apply(self, workdir):
        """In the candidate child, after os.setpgid(0, 0), before any untrusted code. Order:
        drop all capabilities (bounding set via PR_CAPBSET_DROP where permitted, ambient cleared,
        capset v3 with zero effective/permitted/inheritable), PR_SET_NO_NEW_PRIVS, Landlock,
        seccomp. Raises OSError (ConfinementError) on any failure (the caller turns it into an
        infra verdict). Everything the child needs after this must already be open or readable."""
        prctl, get_errno = self._cf_prctl, self._cf_errno
        if self.drop_caps:
            if prctl(_CF_PR_CAPBSET_READ, self._cf_bset_sentinel, 0, 0, 0) == 1:
                self._cf_drop_bounding(range(self._cf_last_cap + 1))
            if prctl(_CF_PR_CAP_AMBIENT, _CF_PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 and get_errno() != errno.EINVAL:
                raise ConfinementError(get_errno(), "caps", "PR_CAP_AMBIENT_CLEAR_ALL")  # EINVAL: kernel < 4.3
            if self._cf_capset(self._cf_cap_header, self._cf_cap_data) != 0:
                raise ConfinementError(get_errno(), "caps", "capset")
        if prctl(_CF_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise ConfinementError(get_errno(), "no_new_privs", "PR_SET_NO_NEW_PRIVS")
        if self.landlock_abi:
            self._cf_landlock(workdir)
        if self.seccomp:
            pid, pack, bpf = self._cf_getpid(), self._cf_pack_u32, self._cf_bpf
            for offset in self._cf_bpf_own:  # the placeholder becomes this child's pid
                pack(bpf, offset, pid)
            for offset in self._cf_bpf_negative:
                pack(bpf, offset, -pid & 0xFFFFFFFF)
            if prctl(_CF_PR_SET_SECCOMP, _CF_SECCOMP_MODE_FILTER, self._cf_fprog, 0, 0) != 0:
                raise ConfinementError(get_errno(), "seccomp", "PR_SET_SECCOMP")

    def _cf_landlock(self, workdir):
        syscall, get_errno = self._cf_syscall, self._cf_errno
        ruleset = syscall(_CF_SYS_LANDLOCK_CREATE_RULESET, self._cf_attr, self._cf_attr_size, 0)
        if ruleset < 0:
            raise ConfinementError(get_errno(), "landlock", "landlock_create_ruleset")
        fd = -1
        try:
            try:
                fd = self._cf_open(workdir, self._cf_o_path)
            except OSError as exc:
                raise ConfinementError(exc.errno, "landlock", "open %s" % workdir)
            for rule in self._cf_rules:
                if syscall(_CF_SYS_LANDLOCK_ADD_RULE, ruleset, _CF_LANDLOCK_RULE_PATH_BENEATH, rule, 0) != 0:
                    raise ConfinementError(get_errno(), "landlock", "landlock_add_rule")
            # bytes are passed as a pointer to their data: no buffer to write in this child
            rule = self._cf_pack_rule(self._cf_dir_rights, fd)
            if syscall(_CF_SYS_LANDLOCK_ADD_RULE, ruleset, _CF_LANDLOCK_RULE_PATH_BENEATH, rule, 0) != 0:
                raise ConfinementError(get_errno(), "landlock", "landlock_add_rule (workdir)")
            if syscall(_CF_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
                raise ConfinementError(get_errno(), "landlock", "landlock_restrict_self")
        finally:
            if fd >= 0:
                self._cf_close(fd)
            self._cf_close(ruleset)


# --- the paths Python reads ---------------------------------------------------------------------

# Never granted, whatever sys.path says: too broad, or where secrets and other processes live.
_CF_NEVER = frozenset([
    "/", "/proc", "/sys", "/dev", "/run", "/home", "/root", "/tmp", "/var/tmp", "/work", "/etc",
    "/var", "/usr", "/usr/local", "/opt", "/mnt", "/media", "/srv", "/boot", "/bin", "/sbin",
    "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/share", "/var/run", "/dev/shm",
])
_CF_NEVER_BENEATH = ("/proc/", "/sys/", "/dev/", "/run/", "/var/run/", "/tmp/", "/var/tmp/")
_CF_SYSTEM_READ_PATHS = (
    "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache",
    "/usr/share/zoneinfo",
)


def _cf_inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def python_read_paths():
    """The directories a forked, already-warm interpreter needs to read to import stdlib and
    installed modules lazily: the sysconfig 'stdlib', 'platstdlib', 'purelib', 'platlib' paths,
    every existing directory in sys.path (not '' and not the cwd; existing zip archives there as
    files), lib-dynload, the directory of libpython if any, the interpreter executable (as a
    file: platform.* reads it), the system library dirs that exist (/lib, /lib64, /usr/lib,
    /usr/lib64, /usr/local/lib), /etc/ld.so.cache, /usr/share/zoneinfo. Real paths,
    deduplicated, existing only; never '/', /proc, /home, /root, /tmp, /work (see _CF_NEVER),
    nothing beneath /proc, /sys, /dev, /run or /tmp, never the cwd or a parent of it (the
    worker's cwd is its private root, which holds every candidate's dir), never the main
    script's directory (sys.path[0] without -P: for the worker, that same root).
    sysconfig is only consulted if already imported (importing it costs 2-16 ms); the same
    paths are derived from sys.prefix & co otherwise."""
    candidates = []
    stdlib = os.path.dirname(os.path.abspath(os.__file__))
    version_dir = os.path.basename(stdlib)  # python3.11 (python3.13t on free-threaded builds)
    platlibdir = getattr(sys, "platlibdir", "lib")
    platstdlib = os.path.join(sys.base_exec_prefix, platlibdir, version_dir)
    candidates += [stdlib, platstdlib, os.path.join(platstdlib, "lib-dynload"),
                   os.path.join(stdlib, "lib-dynload"),
                   os.path.join(sys.prefix, "lib", version_dir, "site-packages"),
                   os.path.join(sys.exec_prefix, platlibdir, version_dir, "site-packages")]
    sysconfig = sys.modules.get("sysconfig")
    if sysconfig is not None:
        try:
            paths = sysconfig.get_paths()
            candidates += [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths]
        except Exception:  # noqa: BLE001 - a broken sysconfig only costs its paths
            pass
    main_dir = None
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file:
        main_dir = os.path.realpath(os.path.dirname(os.path.abspath(main_file)))
    for entry in sys.path:
        if not entry or not isinstance(entry, str):
            continue
        if os.path.isdir(entry):
            if main_dir is not None and os.path.realpath(entry) == main_dir:
                continue
            candidates.append(entry)
        elif os.path.isfile(entry):  # a zip archive on sys.path (zipimport reopens it per read)
            candidates.append(entry)
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                where = line.find("/")
                if where >= 0 and "/libpython" in line:
                    candidates.append(os.path.dirname(line[where:].rstrip("\n").replace(" (deleted)", "")))
    except OSError:
        pass
    if sys.executable:
        candidates.append(sys.executable)
    candidates += list(_CF_SYSTEM_READ_PATHS)

    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:
        cwd = None
    home = os.environ.get("HOME")
    never = set(_CF_NEVER)
    if home:
        never.add(os.path.realpath(home))
    out, seen = [], set()
    for path in candidates:
        if not path:
            continue
        real = os.path.realpath(path)
        if real in seen or not os.path.exists(real):
            continue
        bad = False
        for name in (os.path.normpath(os.path.abspath(path)), real):
            if name in never or any(name.startswith(p) for p in _CF_NEVER_BENEATH):
                bad = True
            elif os.path.dirname(name) == "/home":  # a user's home directory itself
                bad = True
            elif cwd is not None and _cf_inside(cwd, name):  # the cwd or a parent of it
                bad = True
        if bad:
            continue
        seen.add(real)
        out.append(real)
    return out


# --- the probe ----------------------------------------------------------------------------------

def _cf_rmtree(path):
    """shutil.rmtree without shutil (this file imports only what it must)."""
    try:
        for root, dirs, files in os.walk(path, topdown=False):
            for name in files:
                try:
                    os.unlink(os.path.join(root, name))
                except OSError:
                    pass
            for name in dirs:
                full = os.path.join(root, name)
                try:
                    if os.path.islink(full):
                        os.unlink(full)
                    else:
                        os.rmdir(full)
                except OSError:
                    pass
        os.rmdir(path)
    except OSError:
        pass


def _cf_probe_child(conf, base, write_fd, stdlib_file):
    """Runs in the probe's forked child: applies `conf`, tries what it must forbid and allow,
    reports one `key=value` line per result, then _exits."""
    def report(key, value):
        os.write(write_fd, ("%s=%s\n" % (key, value)).encode())

    def outcome(action):
        try:
            action()
            return "ok"
        except OSError as exc:
            return errno.errorcode.get(exc.errno, str(exc.errno))

    def read_file(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.read(fd, 64)
        finally:
            os.close(fd)

    def write_file(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)

    def make_socket(family):
        def action():  # through libc: the harness does not import `socket`
            fd = libc_socket(family, 1 if family == 1 else 2, 0)  # AF_UNIX stream, else datagram
            if fd < 0:
                raise OSError(ctypes.get_errno(), "socket")
            os.close(fd)
        return action

    try:
        os.setpgid(0, 0)
        prctl = _cf_func("prctl", ctypes.c_int, ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
        prctl(_CF_PR_SET_PDEATHSIG, 9, 0, 0, 0)
        libc_socket = _cf_func("socket", ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int)
        try:
            conf.apply(os.path.join(base, "work"))
        except ConfinementError as exc:
            report("apply", "%s:%s" % (exc.layer, exc))
            return
        except OSError as exc:
            report("apply", "unknown:%s" % exc)
            return
        conf.close_fds()
        report("apply", "ok")
        effective, permitted, inheritable = _cf_capget()
        bounding = [c for c in range(conf._cf_last_cap + 1) if conf.bounding_dropped and prctl(_CF_PR_CAPBSET_READ, c, 0, 0, 0) != 0]
        report("caps", "ok" if not (effective or permitted or inheritable or bounding) else "left")
        report("nnp", "ok" if prctl(_CF_PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 else "off")
        report("read_outside", outcome(lambda: read_file(os.path.join(base, "outside"))))
        report("read_proc1", outcome(lambda: read_file("/proc/1/cmdline")))
        report("read_stdlib", outcome(lambda: read_file(stdlib_file)))
        report("write_outside", outcome(lambda: write_file(os.path.join(base, "outside-written"))))
        report("write_inside", outcome(lambda: write_file(os.path.join(base, "work", "inside"))))
        report("unix_socket", outcome(make_socket(1)))
        report("inet_socket", outcome(make_socket(2)))
        target = 1 if os.getpid() != 1 else os.getppid()
        report("kill_other", outcome(lambda: os.kill(target, 0)))
        report("done", "1")
    except BaseException as exc:  # noqa: BLE001 - anything else is reported, never raised
        try:
            report("crash", "%s: %s" % (type(exc).__name__, exc))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(0)


def _cf_probe_once(abi, seccomp, read_paths, disabled):
    """One proof run in a throwaway child: returns the child's key=value report as a dict."""
    tmp = os.environ.get("TMPDIR") or "/tmp"
    base = os.path.join(tmp, "rslm-confine-probe-%d-%s" % (os.getpid(), os.urandom(4).hex()))
    conf = None
    pid = 0
    read_fd = write_fd = -1
    result = {}
    try:
        os.mkdir(base, 0o700)
        os.mkdir(os.path.join(base, "work"), 0o700)
        with open(os.path.join(base, "outside"), "w") as f:
            f.write("task secret\n")
        try:
            conf = Confinement(abi, seccomp, read_paths, disabled)
        except OSError as exc:
            return {"apply": "init:%s" % exc}
        read_fd, write_fd = os.pipe()
        stdlib_file = os.path.abspath(os.__file__)
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _cf_probe_child(conf, base, write_fd, stdlib_file)
            os._exit(0)  # not reached
        os.close(write_fd)
        write_fd = -1
        import select

        chunks, deadline = [], _cf_monotonic() + 10.0
        while True:
            left = deadline - _cf_monotonic()
            if left <= 0:
                result["apply"] = "unknown:the probe child did not answer in 10 s"
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            data = os.read(read_fd, 4096)
            if not data:
                break
            chunks.append(data)
        for line in b"".join(chunks).decode("utf-8", "replace").splitlines():
            key, _, value = line.partition("=")
            result.setdefault(key, value)
        return result
    except OSError as exc:
        result.setdefault("apply", "unknown:probe set-up failed: %s" % exc)
        return result
    finally:
        if pid:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)
        if conf is not None:
            conf.close_fds()
        _cf_rmtree(base)


def _cf_monotonic():
    import time  # preloaded by the harness; deferred so this file's imports stay os/sys/ctypes

    return time.monotonic()


def confinement_probe(read_paths, disabled):
    """Run once at zygote start. Detects the Landlock ABI (0 if absent or if 'landlock' in
    disabled), whether seccomp filters can be installed here (False if 'seccomp' in disabled or
    the arch is unsupported), then PROVES them in a throwaway forked child that applies a full
    Confinement to a fresh temp dir (under $TMPDIR) and checks, reporting back through a pipe:
    reading a file outside read_paths fails, reading /proc/1/cmdline fails, writing outside the
    dir fails, socket(AF_UNIX) fails, kill(1, 0) fails (EPERM), while reading a stdlib module
    file and writing inside the dir work. A layer whose proof fails is turned off and the rest is
    proven again without it, so what is returned was proven as a whole. Returns e.g.
    {"landlock_abi": 7, "landlock_reads": True, "seccomp": True, "caps_dropped": True,
     "disabled": [...], "notes": [...]}: `disabled` is what to pass to Confinement (the given
    names plus the layers that failed here), `notes` says why a layer is off."""
    disabled = set(disabled or ())
    notes = []
    abi = 0 if "landlock" in disabled else landlock_abi_version()
    if not abi and "landlock" not in disabled:
        notes.append("landlock: not supported by this kernel")
    reads = bool(abi) and "landlock-reads" not in disabled
    seccomp = False
    if "seccomp" not in disabled:
        seccomp = _cf_seccomp_arch() is not None
        if not seccomp:
            notes.append("seccomp: unsupported here (%s, %d-bit)" % (os.uname().machine, 8 * ctypes.sizeof(ctypes.c_void_p)))
    caps = "caps" not in disabled
    # Dropping capabilities never breaks a candidate, so an unproven drop stays on (reported as
    # not dropped); only a drop that makes apply() fail is turned off.
    caps_proven = caps

    for _ in range(6):
        off = set(disabled)
        if not abi:
            off.add("landlock")
        if not reads:
            off.add("landlock-reads")
        if not seccomp:
            off.add("seccomp")
        if not caps:
            off.add("caps")
        res = _cf_probe_once(abi, seccomp, read_paths, off)
        applied = res.get("apply", "unknown:no report from the probe child")
        if applied != "ok":
            layer, _, why = applied.partition(":")
            notes.append("probe: apply failed: %s" % why)
            if layer == "caps" and caps:
                caps = False
            elif layer == "landlock" and abi:
                abi, reads = 0, False
            elif layer == "seccomp" and seccomp:
                seccomp = False
            else:  # no_new_privs, an unknown failure: nothing can be claimed
                abi, reads, seccomp, caps = 0, False, False, False
                break
            continue
        if "done" not in res:
            notes.append("probe: the child crashed: %s" % res.get("crash", "no report"))
            abi, reads, seccomp, caps = 0, False, False, False
            break
        failed = []
        if caps and caps_proven and res.get("caps") != "ok":
            caps_proven = False
            notes.append("probe: capabilities left after the drop (caps=%s)" % res.get("caps"))
        if abi and not (res.get("write_outside") == "EACCES" and res.get("write_inside") == "ok"):
            failed.append("landlock")
        if reads and not (res.get("read_outside") == "EACCES" and res.get("read_proc1") == "EACCES"
                          and res.get("read_stdlib") == "ok"):
            failed.append("landlock-reads")
        if seccomp and not (res.get("unix_socket") == "EPERM" and res.get("inet_socket") != "EPERM"
                            and res.get("kill_other") == "EPERM"):
            failed.append("seccomp")
        if not seccomp and abi >= 6 and res.get("kill_other") != "EPERM":
            failed.append("landlock")  # ABI 6 signal scoping did not hold
        if not failed:
            break
        notes.append("probe: %s did not hold (%s)" % (", ".join(failed), ", ".join(
            "%s=%s" % (k, v) for k, v in sorted(res.items()) if k not in ("apply", "done"))))
        if "landlock" in failed:
            abi, reads = 0, False
        if "landlock-reads" in failed:
            reads = False
        if "seccomp" in failed:
            seccomp = False
    else:
        abi, reads, seccomp, caps = 0, False, False, False
        notes.append("probe: no configuration could be proven")

    caps_proven = caps and caps_proven
    off = set(disabled)
    for flag, name in ((abi, "landlock"), (reads, "landlock-reads"), (seccomp, "seccomp"), (caps, "caps")):
        if not flag:
            off.add(name)
    return {"landlock_abi": abi, "landlock_reads": reads, "seccomp": seccomp, "caps_dropped": caps_proven,
            "disabled": sorted(off), "notes": notes}


# --- pids cgroup --------------------------------------------------------------------------------

def _cf_unescape(field):
    """mountinfo escapes space, tab, newline and backslash as \\ooo."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        digits = field[i + 1:i + 4]
        if field[i] == "\\" and len(digits) == 3 and all(c in "01234567" for c in digits):
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _cf_read(path):
    with open(path) as f:
        return f.read()


def _cf_write(path, text):
    # One write() per value: cgroup files take each write as one command. (O_CREAT for the fake
    # trees of the self-test; on cgroupfs the files exist and O_TRUNC is ignored.)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _cf_group_dir(mount_point, mount_root, current):
    """The directory of cgroup `current` (as /proc/PID/cgroup shows it) under a mount of the
    hierarchy whose own root is `mount_root` (not '/' when a container got a subtree)."""
    if mount_root != "/" and (current == mount_root or current.startswith(mount_root.rstrip("/") + "/")):
        current = current[len(mount_root.rstrip("/")):]
    return os.path.normpath(mount_point + "/" + current.strip("/"))


def _cf_clean_stale(parent, prefix):
    """Removes empty groups named PREFIX<pid> whose process is gone (rmdir fails on a group with
    tasks or children, so nothing live is touched)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        owner = name[len(prefix):]
        if name.startswith(prefix) and owner.isdigit() and not os.path.exists("/proc/" + owner):
            try:
                os.rmdir(os.path.join(parent, name))
            except OSError:
                pass


def _cf_make_group(path, limit, pid):
    """mkdir, pids.max, cgroup.procs; removes what it made on failure. None or an error text."""
    made = False
    try:
        try:
            os.mkdir(path, 0o755)
            made = True
        except FileExistsError:  # left by a dead process with this pid: reuse it
            pass
        _cf_write(os.path.join(path, "pids.max"), str(int(limit)))
        _cf_write(os.path.join(path, "cgroup.procs"), str(int(pid)))
        return None
    except OSError as exc:
        if made:
            try:
                os.rmdir(path)
            except OSError:
                pass
        return "%s (%s)" % (os.strerror(exc.errno) if exc.errno else exc, os.path.basename(exc.filename or path))


def _cf_join_v1(mount_point, mount_root, current, limit, pid):
    group = _cf_group_dir(mount_point, mount_root, current)
    if not os.path.isfile(os.path.join(group, "cgroup.procs")):
        return None, "cgroup v1 pids: %s is not a cgroup" % group
    # Nest under the group the process is already in, so no limit above it is escaped.
    parent = os.path.join(group, "rslm-verify")
    _cf_clean_stale(parent, "worker-")
    try:
        os.mkdir(parent, 0o755)
    except FileExistsError:  # another worker's, or a stale one: shared by all workers
        pass
    except OSError as exc:
        return None, "cgroup v1 pids: cannot create %s: %s" % (parent, os.strerror(exc.errno or 0))
    path = os.path.join(parent, "worker-%d" % pid)
    error = _cf_make_group(path, limit, pid)
    if error:
        return None, "cgroup v1 pids: %s" % error
    return path, "v1"


def _cf_join_v2(mount_point, mount_root, current, limit, pid):
    group = _cf_group_dir(mount_point, mount_root, current)
    try:
        controllers = _cf_read(os.path.join(group, "cgroup.controllers")).split()
    except OSError:
        return None, "cgroup v2: cannot read %s/cgroup.controllers" % group
    if "pids" not in controllers:
        return None, "cgroup v2 without a delegated pids controller"
    base = None
    try:
        enabled = _cf_read(os.path.join(group, "cgroup.subtree_control")).split()
    except OSError:
        enabled = []
    if "pids" in enabled:
        base = group
    else:
        try:
            _cf_write(os.path.join(group, "cgroup.subtree_control"), "+pids")
            base = group
        except OSError as exc:
            # EBUSY: "no internal processes" - a non-root group holding processes (this worker
            # is one of them) cannot hand controllers to children. A parent that already does
            # can host a sibling group, if this process may write there.
            why = os.strerror(exc.errno) if exc.errno else str(exc)
            parent = os.path.dirname(group)
            if group != os.path.normpath(mount_point) and _cf_inside(parent, os.path.normpath(mount_point)):
                try:
                    parent_enabled = _cf_read(os.path.join(parent, "cgroup.subtree_control")).split()
                except OSError:
                    parent_enabled = []
                if ("pids" in parent_enabled and os.access(parent, os.W_OK)
                        and os.access(os.path.join(parent, "cgroup.procs"), os.W_OK)):
                    base = parent
            if base is None:
                return None, "cgroup v2: cannot enable pids below %s (%s) and its parent does not delegate it" % (group, why)
    _cf_clean_stale(base, "rslm-verify-")
    path = os.path.join(base, "rslm-verify-%d" % pid)
    error = _cf_make_group(path, limit, pid)
    if error:
        return None, "cgroup v2: %s" % error
    return path, "v2"


def join_pids_cgroup_any(limit, pid, mountinfo="/proc/self/mountinfo", proc_cgroup="/proc/self/cgroup"):
    """Moves process `pid` into its own pids cgroup capped at `limit` tasks (RLIMIT_NPROC does
    nothing for root), so a fork bomb stays small. Run it before unshare(CLONE_NEWUSER): in a
    new user namespace the cgroup files are no longer writable. cgroup v1 (a mount with the pids
    controller): <mount><current>/rslm-verify/worker-<pid>. cgroup v2 (the cgroup2 mount, the
    current group from the '0::' line), only where pids is delegated (in cgroup.controllers):
    <group or its parent>/rslm-verify-<pid>. Empty groups of dead pids are removed first.
    Returns (path, "v1"|"v2") or (None, reason). Never raises. The caller removes the group when
    the worker is gone."""
    try:
        mounts = []  # (fstype, mount point, root, super options)
        with open(mountinfo) as f:
            for line in f:
                left, sep, right = line.rstrip("\n").partition(" - ")
                fields, tail = left.split(" "), right.split(" ")
                if not sep or len(fields) < 5 or len(tail) < 1:
                    continue
                mounts.append((tail[0], _cf_unescape(fields[4]), _cf_unescape(fields[3]),
                               tail[2].split(",") if len(tail) > 2 else []))
        v1_current = v2_current = None
        with open(proc_cgroup) as f:
            for line in f:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) != 3:
                    continue
                if parts[0] == "0" and parts[1] == "":
                    v2_current = parts[2]
                elif "pids" in parts[1].split(","):
                    v1_current = parts[2]
        reasons = []
        v1 = [m for m in mounts if m[0] == "cgroup" and "pids" in m[3]]
        if v1 and v1_current is not None:
            path, how = _cf_join_v1(v1[0][1], v1[0][2], v1_current, limit, pid)
            if path:
                return path, how
            reasons.append(how)
        v2 = [m for m in mounts if m[0] == "cgroup2"]
        if v2 and v2_current is not None:
            path, how = _cf_join_v2(v2[0][1], v2[0][2], v2_current, limit, pid)
            if path:
                return path, how
            reasons.append(how)
        if not reasons:
            return None, "no cgroup with a pids controller is mounted"
        return None, "; ".join(reasons)
    except Exception as exc:  # noqa: BLE001 - never raises: no cgroup is a reported state
        return None, "cgroup set-up failed: %s: %s" % (type(exc).__name__, exc)
