/* The OCI runtime spec's config.json (opencontainers/runtime-spec 1.0.x to
 * 1.2.x), decoded into typed structs: the input of the runtime face that
 * podman, containerd and CRI-O drive with runc's command line.  Pure logic
 * (jansson, no system calls but geteuid/getegid in pd_oci_spec_default);
 * safe in any process.
 *
 * The document is untrusted input.  Rules:
 * - at most PD_OCI_MAX_JSON bytes; duplicate keys are refused (two readers
 *   of one document must not see two containers); the root is an object;
 * - unknown keys, at the top and nested, are ignored, as the spec asks for
 *   forward compatibility; JSON null for an optional key is the key absent
 *   (Go clients write null for nil slices and pointers);
 * - a known key with the wrong type or an out-of-range value is an error
 *   naming its JSON path: "process.user.uid: want an integer from 0 to
 *   4294967295", "mounts[3].options[1]: want a string";
 * - ociVersion must be MAJOR.MINOR.PATCH[-pre][+build] with major 1; minors
 *   past 2 are accepted too (a minor release only adds fields, which are
 *   ignored here) and recorded in version_minor;
 * - every array and map holds at most PD_OCI_MAX_ITEMS entries;
 * - integers are read exactly up to 2^64-1 (Go clients write
 *   18446744073709551615 for RLIM_INFINITY): the loader passes values past
 *   INT64_MAX to jansson as their two's complement, so a uint64 field also
 *   takes a negative integer as its two's complement ("-1" is unlimited,
 *   as the clients that write it mean), and a signed field given a value
 *   past INT64_MAX reads it as negative; past 2^64-1 is invalid JSON.
 * Errors are of kind PD_ERR_USAGE (bad input, exit 125) and carry no
 * errno.
 *
 * What a container `create` does with each field.  [run] it is applied;
 * [check] it is validated then applied; [refuse] parsed only: `create`
 * refuses a document that sets it (non-empty), with an error naming the
 * field, rather than run a container weaker than the document asks.
 *
 *   ociVersion              [check] major 1
 *   root.path               [run] the root filesystem (relative: to the bundle)
 *   root.readonly           [run] the root remounted read-only after setup
 *   mounts[]                [run] in order, every destination resolved inside
 *                           the root (openat2 RESOLVE_IN_ROOT); types bind,
 *                           tmpfs, proc, sysfs, devpts, mqueue, cgroup (and
 *                           cgroup2), others passed to mount(2) as given;
 *                           options decoded here into flags / clear_flags /
 *                           propagation / recursive attributes / data
 *   mounts[].uidMappings    [refuse] idmapped mounts
 *   process                 absent: `create` refuses (nothing to run)
 *   process.terminal        [run] a pty, its master sent to --console-socket
 *   process.consoleSize     [run] TIOCSWINSZ on the pty
 *   process.user            [run] uid, gid, additionalGids (setgroups), umask
 *   process.args/env/cwd    [run] execve in cwd (absolute)
 *   process.capabilities    [run] the five sets, as 64-bit masks
 *   process.rlimits         [run] setrlimit for each type
 *   process.noNewPrivileges [run] PR_SET_NO_NEW_PRIVS
 *   process.oomScoreAdj     [run] /proc/self/oom_score_adj
 *   process.apparmorProfile [refuse] no AppArmor support
 *   process.selinuxLabel    [refuse] no SELinux support
 *   process.ioPriority      [run] ioprio_set
 *   process.scheduler       [refuse] (spec 1.2)
 *   process.execCPUAffinity [refuse] (spec 1.2)
 *   hostname, domainname    [run] in a new UTS namespace (else refused)
 *   hooks.*                 [run] path+args+env, the state JSON on stdin,
 *                           timeout in seconds; prestart and createRuntime in
 *                           the runtime's namespaces, createContainer and
 *                           startContainer in the container's, poststart and
 *                           poststop in the runtime's
 *   annotations             [run] kept and shown in `state`
 *   linux.namespaces        [run] new, or joined with setns(path); time
 *                           namespaces with timeOffsets
 *   linux.uid/gidMappings   [run] written for the new user namespace
 *   linux.timeOffsets       [run] /proc/self/timens_offsets
 *   linux.devices           [run] mknod (bind from the host in a user
 *                           namespace), with fileMode/uid/gid
 *   linux.cgroupsPath       [run] cgroupfs path, or systemd slice:prefix:name
 *                           (split here; mapped to a cgroupfs path)
 *   linux.resources.devices [run] accepted: no device cgroup; the runtime's
 *                           /dev holds only the nodes runc allows (core/oci.c)
 *   linux.resources.memory  [run] limit, reservation, swap, swappiness,
 *                           disableOOMKiller; kernel, kernelTCP [refuse]
 *                           (gone from current kernels)
 *   linux.resources.cpu     [run] shares, quota, period, cpus, mems, idle,
 *                           burst; realtimeRuntime/Period on v1 with
 *                           CONFIG_RT_GROUP_SCHED
 *   linux.resources.pids    [run] limit
 *   linux.resources.blockIO [run] where the controller exists, else refused
 *   linux.resources.hugepageLimits [run] where hugetlb exists, else refused
 *   linux.resources.unified [run] v2 files written as given (v1: refused)
 *   linux.resources.network [refuse] net_cls/net_prio are not managed
 *   linux.resources.rdma    [refuse]
 *   linux.sysctl            [run] /proc/sys writes inside the namespaces,
 *                           only namespaced keys (net.*, kernel.shm*, ...)
 *   linux.seccomp           [run] raw JSON text for the seccomp compiler;
 *                           defaultAction/architectures/flags checked here;
 *                           listenerPath [refuse] no listener yet
 *   linux.maskedPaths       [run] /dev/null or an empty read-only tmpfs
 *   linux.readonlyPaths     [run] read-only bind on itself
 *   linux.rootfsPropagation [run] propagation of the root mount
 *   linux.mountLabel        [refuse] SELinux
 *   linux.intelRdt          [refuse] resctrl
 *   linux.personality       [run] personality(2) LINUX / LINUX32
 *   linux.netDevices        [refuse] (spec 1.2)
 *   linux.memoryPolicy      [refuse] (newer than 1.2)
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The most bytes of a config.json (or process.json) read into memory. */
#define PD_OCI_MAX_JSON (1u << 20)
/* The most entries of any one array or map: mounts, args, env, devices,
 * device rules, maskedPaths, sysctl, annotations, hooks of one kind... */
#define PD_OCI_MAX_ITEMS 4096
/* The spec version this decoder knows in full, and the one
 * pd_oci_spec_default writes. */
#define PD_OCI_VERSION "1.2.0"

/* An optional number: `set` false when the key was absent (or null). */
struct pd_oci_i64 {
	bool set;
	int64_t val;
};
struct pd_oci_u64 {
	bool set;
	uint64_t val;
};

/* A JSON object of strings (annotations, sysctl, unified), in document
 * order. */
struct pd_oci_kv {
	char *key;
	char *value;
};

struct pd_oci_idmap {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

/* One entry of mounts[], its options decoded as runc reads them.  The
 * recursive attributes ("rro", "rnosuid", ...) are MOUNT_ATTR_* values for
 * mount_setattr(2) with AT_RECURSIVE. */
struct pd_oci_mount {
	char *destination; /* required; absolute (1.0 allowed relative: kept as given) */
	char *type;	   /* NULL when absent ("bind" mounts often have none) */
	char *source;	   /* NULL when absent */
	char **options;	   /* the raw list, NULL-terminated; NULL when absent */
	/* The options decoded, each applied in order (a later one wins): */
	unsigned long flags;		   /* MS_* to set: MS_RDONLY, MS_NOSUID, MS_BIND|MS_REC, ... */
	unsigned long clear_flags;	   /* MS_* an option cleared: "rw", "suid", "dev", "exec", "atime" */
	unsigned long propagation;	   /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE, | MS_REC for the
					    * r- forms; 0 when none was given; the last one wins */
	uint64_t rec_attr_set;		   /* MOUNT_ATTR_* from "rro", "rnosuid", "rnoatime", ... */
	uint64_t rec_attr_clr;		   /* MOUNT_ATTR_* from "rrw", "rsuid", ... (and the atime mask) */
	bool is_bind;			   /* type "bind", or a "bind"/"rbind" option */
	bool tmpcopyup;			   /* "tmpcopyup" (runc/crun extension, podman uses it on tmpfs) */
	bool idmap;			   /* "idmap" or "ridmap" (spec 1.2) */
	char *data;			   /* every other option joined with ',' ("mode=755,size=65536k"),
					    * for mount(2)'s data; NULL when none */
	struct pd_oci_idmap *uid_mappings; /* spec 1.1 idmapped mounts */
	size_t n_uid_mappings;
	struct pd_oci_idmap *gid_mappings;
	size_t n_gid_mappings;
};

/* The five capability sets, bit N = capability N. */
struct pd_oci_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct pd_oci_rlimit {
	int type; /* RLIMIT_* */
	uint64_t hard, soft;
};

struct pd_oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height, console_width;
	uint32_t uid, gid;	   /* required */
	struct pd_oci_u64 umask;   /* 0..0777 */
	uint32_t *additional_gids; /* NULL when absent */
	size_t n_additional_gids;
	char **args;   /* NULL-terminated; required, at least one entry */
	char **env;    /* NULL-terminated; NULL when absent */
	char *cwd;     /* required, absolute */
	bool has_caps; /* "capabilities" present; when false every set is 0 */
	struct pd_oci_caps caps;
	struct pd_oci_rlimit *rlimits; /* each type at most once */
	size_t n_rlimits;
	bool no_new_privileges;
	struct pd_oci_i64 oom_score_adj; /* -1000..1000 */
	char *apparmor_profile;		 /* kept as given; NULL when absent */
	char *selinux_label;		 /* kept as given; NULL when absent */
	bool has_io_priority;
	int io_priority_class;	    /* IOPRIO_CLASS_RT 1, _BE 2, _IDLE 3 */
	int io_priority;	    /* 0..7 */
	bool has_scheduler;	    /* spec 1.2, parsed only */
	bool has_exec_cpu_affinity; /* spec 1.2, parsed only */
};

enum pd_oci_ns_type {
	PD_OCI_NS_PID,
	PD_OCI_NS_NETWORK,
	PD_OCI_NS_MOUNT,
	PD_OCI_NS_IPC,
	PD_OCI_NS_UTS,
	PD_OCI_NS_USER,
	PD_OCI_NS_CGROUP,
	PD_OCI_NS_TIME,
	PD_OCI_NS_COUNT,
};
/* The spec's name of a namespace type ("pid", "network", ...). */
const char *pd_oci_ns_name(enum pd_oci_ns_type t);

struct pd_oci_namespace {
	enum pd_oci_ns_type type; /* each type at most once */
	char *path;		  /* join this namespace; NULL: make a new one */
};

struct pd_oci_device {
	char *path;		     /* required, absolute */
	char type;		     /* 'c', 'b', 'u' (unbuffered char) or 'p' (fifo) */
	int64_t major, minor;	     /* required except for 'p' */
	struct pd_oci_u64 file_mode; /* may include S_IFMT bits (podman writes them) */
	struct pd_oci_u64 uid, gid;
};

/* A device cgroup rule: type 'a' (all, the default), 'c' or 'b'; major or
 * minor -1 for "any" (absent in the document). */
struct pd_oci_dev_rule {
	bool allow;
	char type;
	int64_t major, minor;
	char access[4]; /* a subset of "rwm"; "rwm" when absent */
};

struct pd_oci_blkio_dev {
	int64_t major, minor;
	struct pd_oci_u64 weight, leaf_weight; /* weightDevice */
	uint64_t rate;			       /* throttle*Device */
};

struct pd_oci_hugepage {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct pd_oci_net_prio {
	char *name;
	uint32_t priority;
};

struct pd_oci_resources {
	struct pd_oci_dev_rule *devices;
	size_t n_devices;

	bool has_memory;
	struct pd_oci_i64 mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp;
	struct pd_oci_u64 mem_swappiness; /* 0..100 */
	bool mem_disable_oom_killer;
	bool mem_use_hierarchy;

	bool has_cpu;
	struct pd_oci_u64 cpu_shares, cpu_period, cpu_realtime_period, cpu_burst;
	struct pd_oci_i64 cpu_quota, cpu_realtime_runtime, cpu_idle;
	char *cpu_cpus, *cpu_mems; /* NULL when absent */

	bool has_pids;
	int64_t pids_limit; /* required in "pids"; <= 0 is "unlimited" */

	bool has_block_io;
	struct pd_oci_u64 blkio_weight, blkio_leaf_weight; /* 10..1000 */
	struct pd_oci_blkio_dev *blkio_weight_device;
	size_t n_blkio_weight_device;
	struct pd_oci_blkio_dev *blkio_throttle_read_bps;
	size_t n_blkio_throttle_read_bps;
	struct pd_oci_blkio_dev *blkio_throttle_write_bps;
	size_t n_blkio_throttle_write_bps;
	struct pd_oci_blkio_dev *blkio_throttle_read_iops;
	size_t n_blkio_throttle_read_iops;
	struct pd_oci_blkio_dev *blkio_throttle_write_iops;
	size_t n_blkio_throttle_write_iops;

	struct pd_oci_hugepage *hugepage_limits;
	size_t n_hugepage_limits;

	bool has_network;
	struct pd_oci_u64 net_class_id; /* uint32 */
	struct pd_oci_net_prio *net_priorities;
	size_t n_net_priorities;

	bool has_rdma; /* parsed only */

	struct pd_oci_kv *unified;
	size_t n_unified;
};

enum pd_oci_hook_kind {
	PD_OCI_HOOK_PRESTART, /* deprecated by the spec, still sent by some clients */
	PD_OCI_HOOK_CREATE_RUNTIME,
	PD_OCI_HOOK_CREATE_CONTAINER,
	PD_OCI_HOOK_START_CONTAINER,
	PD_OCI_HOOK_POSTSTART,
	PD_OCI_HOOK_POSTSTOP,
	PD_OCI_HOOK_COUNT,
};
/* The spec's key of a hook kind ("prestart", "createRuntime", ...). */
const char *pd_oci_hook_name(enum pd_oci_hook_kind k);

struct pd_oci_hook {
	char *path;		   /* required, absolute */
	char **args;		   /* NULL-terminated; NULL when absent (then argv[0] = path) */
	char **env;		   /* NULL-terminated; NULL when absent */
	struct pd_oci_i64 timeout; /* seconds, > 0 */
};

struct pd_oci_hook_list {
	struct pd_oci_hook *hooks;
	size_t n;
};

/* seccomp filter flags (SECCOMP_FILTER_FLAG_*), as the spec names them. */
#define PD_OCI_SECCOMP_FLAG_TSYNC	       (1u << 0)
#define PD_OCI_SECCOMP_FLAG_LOG		       (1u << 1)
#define PD_OCI_SECCOMP_FLAG_SPEC_ALLOW	       (1u << 2)
#define PD_OCI_SECCOMP_FLAG_WAIT_KILLABLE_RECV (1u << 3)

struct pd_oci_seccomp {
	char *json;	      /* the linux.seccomp object as compact JSON text, for the
			       * seccomp compiler (pd_seccomp_from_json) */
	char *default_action; /* required: one of the spec's SCMP_ACT_* */
	struct pd_oci_u64 default_errno_ret;
	char **architectures; /* SCMP_ARCH_*, NULL-terminated; NULL when absent */
	unsigned flags;	      /* PD_OCI_SECCOMP_FLAG_* */
	char *listener_path;  /* NULL when absent */
	char *listener_metadata;
	size_t n_syscalls;
	bool uses_notify; /* SCMP_ACT_NOTIFY as default or in a rule */
};

struct pd_oci_cgroups_path {
	char *path; /* as given; NULL when absent */
	/* The systemd form "slice:prefix:name" (exactly two colons) split; all
	 * NULL otherwise. */
	char *systemd_slice, *systemd_prefix, *systemd_name;
};

struct pd_oci_linux {
	struct pd_oci_namespace *namespaces;
	size_t n_namespaces;
	struct pd_oci_idmap *uid_mappings;
	size_t n_uid_mappings;
	struct pd_oci_idmap *gid_mappings;
	size_t n_gid_mappings;
	bool has_time_offsets;
	struct {
		bool set;
		int64_t secs;
		uint32_t nanosecs;
	} time_offset_monotonic, time_offset_boottime;
	struct pd_oci_device *devices;
	size_t n_devices;
	bool has_resources;
	struct pd_oci_resources resources;
	struct pd_oci_cgroups_path cgroups_path;
	struct pd_oci_kv *sysctl;
	size_t n_sysctl;
	bool has_seccomp;
	struct pd_oci_seccomp seccomp;
	char **masked_paths;		  /* NULL-terminated; NULL when absent */
	char **readonly_paths;		  /* NULL-terminated; NULL when absent */
	unsigned long rootfs_propagation; /* MS_* | MS_REC as for mounts; 0 when absent */
	char *mount_label;		  /* kept as given */
	bool has_intel_rdt;		  /* parsed only */
	bool has_personality;
	bool personality_linux32; /* domain "LINUX32" (else "LINUX") */
	bool has_net_devices;	  /* spec 1.2, parsed only */
	bool has_memory_policy;	  /* parsed only */
};

struct pd_oci_spec {
	char *oci_version;
	unsigned version_major, version_minor, version_patch;
	char *root_path; /* required */
	bool root_readonly;
	struct pd_oci_mount *mounts;
	size_t n_mounts;
	struct pd_oci_process *process; /* NULL when absent */
	char *hostname;			/* NULL when absent */
	char *domainname;
	struct pd_oci_hook_list hooks[PD_OCI_HOOK_COUNT];
	struct pd_oci_kv *annotations;
	size_t n_annotations;
	/* "linux" itself is a predefined macro in GNU C. */
	bool has_linux;
	struct pd_oci_linux linux_cfg;
};

/* Decode `len` bytes of config.json into *out (zeroed first).  On success the
 * caller owns *out and frees it with pd_oci_spec_free.  On failure *out is
 * left empty (nothing to free) and *err names the field. */
int pd_oci_spec_parse(const char *json, size_t len, struct pd_oci_spec *out, struct pd_err **err);
void pd_oci_spec_free(struct pd_oci_spec *s);

/* A process object on its own, as `exec --process FILE` gets it (podman's
 * and containerd's exec): the same rules as config.json's "process", error
 * paths relative to the object ("args: required").  Ownership as above,
 * freed with pd_oci_process_free. */
int pd_oci_process_parse(const char *json, size_t len, struct pd_oci_process *out, struct pd_err **err);
void pd_oci_process_free(struct pd_oci_process *p);

/* A linux.resources object on its own, as `update --resources FILE|-` gets
 * it.  Freed with pd_oci_resources_free. */
int pd_oci_resources_parse(const char *json, size_t len, struct pd_oci_resources *out, struct pd_err **err);
void pd_oci_resources_free(struct pd_oci_resources *r);

/* The capability named "CAP_NET_RAW" (the spec's spelling, upper case),
 * or -1. */
int pd_oci_cap_from_name(const char *name);
/* "CAP_NET_RAW" for 13; NULL when unknown. */
const char *pd_oci_cap_name(int cap);

/* The config.json `spec` writes: a busybox-style default as `runc spec`
 * prints it (args ["sh"], a terminal, AUDIT_WRITE KILL NET_BIND_SERVICE,
 * proc dev devpts shm mqueue sysfs cgroup mounts, the masked and read-only
 * /proc paths, pid network ipc uts mount namespaces, every device denied).
 * `rootless`: as `runc spec --rootless`: a user namespace mapping root to
 * the caller's euid/egid, no network namespace, /sys bound from the host,
 * no device rules.  The JSON text (indented, newline-terminated) goes to
 * *json_out, which the caller frees. */
int pd_oci_spec_default(bool rootless, char **json_out, struct pd_err **err);
