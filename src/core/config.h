/* struct pd_config: everything that describes one container.  Built by the
 * CLI from flags (each parsed into its typed field when read), completed by
 * pd_config_defaults, stored in the container's record as JSON by
 * pd_config_encode and read back, whole and typed, by pd_config_decode.
 * Owns all its strings.
 *
 * Its parts follow an OCI runtime spec's config.json, so that a spec maps
 * onto it field by field (what each field is there):
 *
 *   id                      the container id `create <id>` is given (not in config.json)
 *   hostname                hostname
 *   rootfs_arg              root.path (a directory; a tarball or an image name has no counterpart)
 *   read_only               root.readonly
 *   process:
 *     argv                  process.args
 *     env                   process.env
 *     workdir               process.cwd (NULL: "/", or the user's home)
 *     user                  process.user.uid, .gid (a name is looked up in the rootfs's
 *                           /etc/passwd at start; OCI has numbers only)
 *     tty                   process.terminal
 *     tty_rows, tty_cols    process.consoleSize.height, .width
 *     caps                  process.capabilities.bounding, .effective, .permitted
 *                           (one set; inheritable and ambient stay empty)
 *     no_new_privs_off      !process.noNewPrivileges
 *     rlimits               process.rlimits
 *     groups                process.user.additionalGids
 *     oom_score_adj         process.oomScoreAdj
 *     umask                 process.user.umask
 *     linux32               linux.personality.domain LINUX32
 *   mounts                  mounts[], in order: a bind is type "bind" with options rbind,
 *                           nodev and ro; a tmpfs is type "tmpfs" with nosuid, nodev,
 *                           noexec (or exec), mode=, size=.  /proc, /sys, /dev, /dev/pts
 *                           and /dev/shm are always made and not listed.
 *   linux:
 *     devices               linux.devices[] (path = dest; type, major and minor are the
 *                           host node's) and linux.resources.devices[] (access = perms)
 *     cgroup_path           linux.cgroupsPath (made relative to each hierarchy's root)
 *     limits.memory         linux.resources.memory.limit
 *     limits.memory_swap    linux.resources.memory.swap
 *     limits.cpu_quota_us   linux.resources.cpu.quota
 *     limits.cpu_period_us  linux.resources.cpu.period
 *     limits.cpu_shares     linux.resources.cpu.shares
 *     limits.cpuset_cpus    linux.resources.cpu.cpus
 *     limits.pids_max       linux.resources.pids.limit
 *     seccomp, seccomp_json linux.seccomp (a Docker-format profile, converted; NULL: the
 *                           default profile)
 *     rootless              linux.namespaces "user" with linux.uidMappings, .gidMappings
 *                           (the caller, and its subordinate range when it has one)
 *     net.mode              linux.namespaces "network" (absent for host)
 *     masked_paths,         linux.maskedPaths, linux.readonlyPaths: beyond Docker's fixed
 *     readonly_paths        lists (linux/mount.c), which every container but a privileged
 *                           one gets
 *
 * No OCI counterpart (the runtime's own, around the container): name,
 * image_id, stop_signal (an image annotation in OCI), interactive (stdin is
 * the caller's), init, privileged (it expands into caps, no seccomp, no
 * masked paths and the host's /dev), remove, restart and restart_max,
 * health, log_max_size and log_max_file, net's publish, dns and
 * add-host (the bridge's plumbing and the generated /etc files), labels,
 * cidfile, stop_timeout, and shm_size (the /dev/shm the runtime always
 * makes) and group_names (names; OCI's additionalGids are numbers). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "linux/cgroup.h"
#include "linux/mount.h"
#include "net/net.h"
#include "util/error.h"

enum pd_restart {
	PD_RESTART_NO = 0,
	PD_RESTART_ON_FAILURE,
	PD_RESTART_ALWAYS,
	PD_RESTART_UNLESS_STOPPED,
};

/* --pid, --ipc, --uts: Docker's modes of a namespace. */
enum pd_ns_mode {
	PD_NS_PRIVATE = 0, /* a namespace of its own (the default) */
	PD_NS_SHAREABLE,   /* --ipc shareable: its own, which others may join */
	PD_NS_NONE,	   /* --ipc none: its own, and no /dev/shm */
	PD_NS_HOST,	   /* the host's: no new namespace */
	PD_NS_CONTAINER,   /* container:REF: another running container's */
};
struct pd_nsmode {
	enum pd_ns_mode mode;
	char *container; /* PD_NS_CONTAINER: the container's full id (as given until resolved) */
};

struct pd_health {
	char **test;		  /* the command (exec form); NULL: no health check */
	uint64_t interval_ms;	  /* default 30 s */
	uint64_t timeout_ms;	  /* default 30 s */
	uint64_t start_period_ms; /* default 0 */
	unsigned retries;	  /* default 3 */
	bool restart_unhealthy;	  /* --health-restart: kill an unhealthy container so --restart acts */
};

/* A judge's per-run limits (run --timeout, --cpu-time, --output-limit),
 * enforced by the monitor; 0: not set.  See core/judge.h. */
struct pd_judge {
	uint64_t timeout_ms;   /* wall clock from the command's start */
	uint64_t cpu_time_ms;  /* CPU time of the whole group (user + system) */
	uint64_t output_limit; /* bytes of stdout + stderr */
};

/* One process resource limit (setrlimit); RLIM_INFINITY is unlimited. */
struct pd_rlimit {
	int type; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct pd_config {
	char id[65];
	char *name;
	char *hostname;
	char *rootfs_arg; /* what the user gave to --rootfs */
	char *image_id;	  /* the image rootfs_arg names ("sha256:..."), or NULL */
	bool read_only;	  /* the rootfs read-only */

	/* The process. */
	char **argv;			   /* command and arguments */
	char **env;			   /* KEY=VALUE, after defaults */
	char *workdir;			   /* NULL: the user's home or "/" */
	char *user;			   /* "UID[:GID]" or a name; NULL: root */
	bool tty;			   /* -t */
	unsigned short tty_rows, tty_cols; /* initial window size with -t */
	uint64_t caps;			   /* the capability set (bounding, and effective for root) */
	bool no_new_privs_off;		   /* --security-opt no-new-privileges=false */
	bool interactive;		   /* -i */
	bool init;			   /* --init */
	char *stop_signal;	   /* the image's StopSignal or --stop-signal ("SIGQUIT", "3"), or NULL */
	struct pd_rlimit *rlimits; /* set by the init before the user switch */
	size_t n_rlimits;
	gid_t *groups; /* supplementary groups added to the user's own */
	size_t n_groups;
	char **group_names; /* --group-add names, looked up in the rootfs's /etc/group at start */
	bool has_oom_score_adj;
	int oom_score_adj; /* written to /proc/self/oom_score_adj when set */
	bool has_umask;
	unsigned umask; /* the command's umask (022 when not set) */
	bool linux32;	/* personality(PER_LINUX32) */

	/* The user's mounts, made in this order after the default ones (run
	 * puts every -v before every --tmpfs). */
	struct pd_mount *mounts;
	size_t n_mounts;

	/* The kernel side. */
	struct pd_device *devices; /* --device */
	size_t n_devices;
	struct pd_limits limits;
	char *cgroup_path;     /* the group's path under each hierarchy's root; NULL: pocket-docker/<id> */
	char **masked_paths;   /* hidden beyond the runtime's own list (NULL: none) */
	char **readonly_paths; /* read-only beyond the runtime's own list (NULL: none) */
	/* linux.namespaces[].path of the OCI face: namespaces the init joins
	 * instead of making its own (NULL: its own).  Used by `create` only:
	 * `exec` joins whatever the init is in. */
	char *netns_path, *ipcns_path, *utsns_path;
	char **sysctls;	      /* linux.sysctl as "KEY=VALUE", namespaced keys only (NULL: none) */
	char *domainname;     /* the UTS namespace's NIS domain name (NULL: none) */
	char *seccomp;	      /* NULL: the default profile; "unconfined"; or a JSON profile's path */
	char *seccomp_json;   /* that profile's text, read once by `run`: restarts and `exec`
			       * compile this, never the file again (a container could rewrite a
			       * profile that sits in one of its volumes) */
	bool privileged;      /* all capabilities, no seccomp, no masked paths, host devices */
	bool rootless;	      /* not running as real root */
	struct pd_netcfg net; /* --network, --publish, --dns, --add-host */
	struct pd_nsmode pid_ns, ipc_ns, uts_ns; /* --pid, --ipc, --uts */

	/* The runtime's own. */
	char **labels;	     /* --label, --label-file: "KEY=VALUE", each key once, in the order given */
	char *cidfile;	     /* --cidfile: where `run` wrote the id (HostConfig.ContainerIDFile) */
	char **volumes_from; /* --volumes-from CONTAINER[:ro|rw], resolved at each start (NULL: none) */
	bool has_stop_timeout;
	unsigned stop_timeout; /* --stop-timeout: seconds `stop` waits when not given -t */
	uint64_t shm_size;     /* --shm-size: bytes of /dev/shm's tmpfs; 0: 64 MiB */
	bool remove;	       /* --rm */
	enum pd_restart restart;
	unsigned restart_max; /* on-failure:MAX, 0 = no maximum */
	struct pd_health health;
	struct pd_judge judge;
	uint64_t log_max_size; /* --log-opt max-size: rotate the log at this size; 0 never */
	unsigned log_max_file; /* --log-opt max-file: log files kept in all; 0 means 1 */
};

/* An empty config with the defaults that need nothing else: Docker's
 * capability set, no_new_privs, no restart, the default network, health
 * checks every 30 s with a 30 s timeout, no start period and 3 retries (used
 * once a test is set). */
void pd_config_init(struct pd_config *c);
/* After the flags and the image, the defaults that depend on them (what
 * Docker fills in when the user gave nothing): the hostname (the short id;
 * the host's own name with host networking), PATH, HOSTNAME and, with a
 * tty, TERM in the environment; and whether this run is rootless (not real
 * root).  c->id must be set. */
void pd_config_defaults(struct pd_config *c);
void pd_config_free(struct pd_config *c);

/* --cap-add and --cap-drop as given: capability bits, or ALL. */
struct pd_cap_change {
	uint64_t add, drop;
	bool add_all, drop_all;
};
/* Add the capability NAME ("NET_ADMIN", "CAP_NET_ADMIN", any case; "ALL"
 * sets *all) to *mask; an unknown name is a usage error. */
int pd_cap_name_parse(const char *name, uint64_t *mask, bool *all, struct pd_err **err);
/* Docker's order: from c->caps (the default set, all with --privileged),
 * take the drops, then the adds. */
void pd_config_apply_caps(struct pd_config *c, const struct pd_cap_change *ch);

/* The record's JSON text for `c` (Docker's Config and HostConfig keys side
 * by side, as `inspect` shows them, and the rest of the config under keys of
 * Docker's API where it has one); caller frees.  Never fails. */
char *pd_config_encode(const struct pd_config *c);
/* The same as a JSON object; caller owns the reference. */
json_t *pd_config_json(const struct pd_config *c);
/* Parse a record's JSON text into *out, which is initialised first (the
 * caller frees it with pd_config_free, on failure too).  A key missing (a
 * record written by an older version) keeps pd_config_init's default; text
 * that is not a JSON object, or a key of the wrong type, is an error.  What
 * is not in the JSON: id and name (the record's own columns).  A privileged
 * config with no profile comes back with seccomp "unconfined", which is the
 * same thing. */
int pd_config_decode(const char *json, struct pd_config *out, struct pd_err **err);

/* RLIMIT_* of Docker's --ulimit name ("nofile"), or -1; and back (NULL
 * for an unknown number). */
int pd_rlimit_type(const char *name);
const char *pd_rlimit_name(int type);
/* Parse one --ulimit "NAME=SOFT[:HARD]" (Docker's names; -1 or
 * "unlimited" for no limit; no HARD: the same as SOFT) into c->rlimits,
 * replacing an earlier limit of that name.  A usage error for an unknown
 * name, a bad number or a soft limit above the hard one. */
int pd_ulimit_parse(struct pd_config *c, const char *spec, struct pd_err **err);
/* The config's limits against the caller's own hard limits when it cannot
 * raise them (rootless: the container's user namespace cannot; root
 * without CAP_SYS_RESOURCE): a usage error naming the limit and both
 * values.  Root with CAP_SYS_RESOURCE may raise them, as with Docker. */
int pd_config_check_rlimits(const struct pd_config *c, struct pd_err **err);
/* The same rule for --oom-score-adj: below this process's own adjustment
 * needs CAP_SYS_RESOURCE (the kernel's rule), so without it a lower value
 * is a usage error naming both. */
int pd_config_check_oom_score(const struct pd_config *c, struct pd_err **err);

/* Parse "no", "on-failure[:MAX]", "always", "unless-stopped". */
int pd_restart_parse(const char *s, enum pd_restart *policy, unsigned *max, struct pd_err **err);
const char *pd_restart_name(enum pd_restart p);
/* Parse one --log-opt "max-size=SIZE[,max-file=N]" into c->log_max_size and
 * c->log_max_file (Docker's json-file options); a usage error for an
 * unknown key, a bad size or a max-file below 1. */
int pd_log_opt_parse(struct pd_config *c, const char *spec, struct pd_err **err);
/* Parse --cpus "0.5" into a quota and period. */
int pd_cpus_parse(const char *s, struct pd_limits *l, struct pd_err **err);

/* Add a label "KEY[=VALUE]" (Docker's --label: no '=' is an empty value),
 * replacing an earlier KEY; an empty KEY is a usage error. */
int pd_label_add(char ***labels, const char *spec, struct pd_err **err);
/* Read a label file (Docker's --label-file): KEY[=VALUE] per line, '#'
 * comments and blank lines skipped. */
int pd_label_add_file(char ***labels, const char *path, struct pd_err **err);
/* The value of label `key`, or NULL when the container has none. */
const char *pd_label_get(char *const *labels, const char *key);

/* Parse --pid (host, container:REF), --ipc (private, shareable, none,
 * host, container:REF) or --uts (host) into *out; `opt` is the flag's name
 * ("pid", "ipc", "uts").  A usage error for anything else.  The empty
 * string is the default (private), as Docker takes it. */
int pd_nsmode_parse(const char *opt, const char *s, struct pd_nsmode *out, struct pd_err **err);
/* Docker's text of a mode: "", "host", "container:ID", and for IPC
 * "private", "shareable", "none".  Caller frees. */
char *pd_nsmode_text(const char *opt, const struct pd_nsmode *m);
/* After the flags and before pd_config_defaults: --hostname (or
 * --domainname) with --uts host, and rootless --pid host or
 * container:REF (they need root), are usage errors. */
int pd_config_check_namespaces(const struct pd_config *c, struct pd_err **err);
/* The CLONE_NEW* flags of the namespaces the container makes for itself
 * (mount, uts, ipc, pid, net, and user when rootless), less those it
 * shares with the host or joins. */
int pd_config_clone_flags(const struct pd_config *c);

/* The namespace a sysctl belongs to. */
enum pd_sysctl_ns {
	PD_SYSCTL_NET,
	PD_SYSCTL_IPC,
	PD_SYSCTL_UTS,
};
/* The one check of a sysctl, for `run --sysctl` and the OCI face's
 * linux.sysctl: the key a path under /proc/sys without "..", the value
 * without a newline, and the key namespaced (net.*, kernel.shm*,
 * kernel.msg*, kernel.sem, fs.mqueue.*, kernel.hostname,
 * kernel.domainname), its namespace in *ns.  A usage error otherwise
 * (without a prefix: the caller names its field). */
int pd_sysctl_check(const char *key, const char *value, enum pd_sysctl_ns *ns, struct pd_err **err);
/* One --sysctl "KEY=VALUE" into c->sysctls (a later KEY replaces an
 * earlier one); a usage error for a key pd_sysctl_check refuses, and for
 * kernel.hostname (--hostname sets it). */
int pd_sysctl_add(struct pd_config *c, const char *spec, struct pd_err **err);
/* After the flags: net.* needs the container's own network namespace,
 * kernel.shm* and the other IPC keys its own IPC namespace (not --ipc host
 * or container:), kernel.domainname its own UTS namespace. */
int pd_config_check_sysctls(const struct pd_config *c, struct pd_err **err);

/* --platform: this host's platform (linux/amd64 on x86-64; the variant
 * where the host has one) in any of Docker's spellings is accepted; any
 * other is a usage error naming the host's (nothing is emulated). */
int pd_platform_check(const char *platform, struct pd_err **err);

/* Whether `name` can be a group's name for --group-add (not a number). */
bool pd_group_name_valid(const char *name);

/* Fill c->id with 64 random hex characters. */
int pd_config_new_id(struct pd_config *c, struct pd_err **err);

/* Parse "SOURCE:CONTAINER[:MODE,...]", or "/CONTAINER" alone (an anonymous
 * volume there, as Docker's), into a volume.  SOURCE is an
 * absolute host path, which must exist (its real path is kept), or else a
 * volume's name (pd_volume_name_valid; never a path under the current
 * directory, as in Docker); CONTAINER must be absolute, may not contain
 * ".." and may not be '/'; MODE words: ro or rw, nocopy (a volume only),
 * and a propagation (private, rprivate, shared, rshared, slave, rslave).
 * A usage error otherwise.  The result owns its strings. */
int pd_volume_parse(const char *spec, struct pd_volume *out, struct pd_err **err);
/* Docker's rule for a volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most
 * PD_VOLUME_NAME_MAX bytes, so never a path, "." or "..". */
#define PD_VOLUME_NAME_MAX 128
bool pd_volume_name_valid(const char *name);
/* A named or anonymous volume (prepared at start), not a host path. */
static inline bool pd_volume_is_named(const struct pd_volume *v)
{
	return v->name || v->anonymous;
}
/* Parse one --mount "type=bind|volume|tmpfs,source=..,target=..,readonly,
 * bind-propagation=..,volume-nocopy,volume-opt=K=V,tmpfs-size=..,
 * tmpfs-mode=.." (type defaults to volume; a volume without a source is
 * anonymous; a bind's source must be an absolute path that exists) into
 * *out.  A usage error for anything else.  The result owns its strings. */
int pd_mount_parse(const char *spec, struct pd_mount *out, struct pd_err **err);
/* "rslave" for PD_PROP_RSLAVE...; "" for the default. */
const char *pd_propagation_name(enum pd_propagation p);
/* Parse "PATH[:OPT,...]" into a tmpfs: PATH absolute without "..", options
 * size=SIZE (bytes or 64k, 1m, 1g...; or N% of the RAM), mode=OCTAL (at most
 * 07777), exec, and noexec, nosuid, nodev, rw (the defaults, accepted and
 * ignored).  A usage error otherwise.  The result owns its strings. */
int pd_tmpfs_parse(const char *spec, struct pd_tmpfs *out, struct pd_err **err);
/* Parse "HOST[:CONTAINER][:PERMS]" into a device: HOST must be a character
 * or block device now; CONTAINER (default HOST) absolute without "..";
 * PERMS letters of "rwm" (default "rwm"), as Docker also takes
 * "HOST:PERMS".  A usage error otherwise.  The result owns its strings. */
int pd_device_parse(const char *spec, struct pd_device *out, struct pd_err **err);
/* Append a mount (taking its strings) or a device to the config. */
void pd_config_add_mount(struct pd_config *c, const struct pd_mount *m);
void pd_config_add_device(struct pd_config *c, const struct pd_device *d);

/* Refuse (usage error) a volume whose source is the state root, contains it
 * or lies inside it, compared by device and inode along the real paths, so
 * symlinks and bind-mount aliases count.  `state_root` is the path the
 * runtime will use (pd_state_root_path); it need not exist yet. */
int pd_volumes_check_state_root(const struct pd_config *c, const char *state_root, struct pd_err **err);
/* Make the missing host paths of -v volumes (directories, mode 0755, as
 * the caller: Docker's -v; --mount never makes one), then check them as
 * pd_volumes_check_state_root does.  After every other check of a run. */
int pd_volumes_make_sources(struct pd_config *c, const char *state_root, struct pd_err **err);

/* A container path given by the user: absolute, no ".." component. */
int pd_check_container_path(const char *what, const char *path, struct pd_err **err);

/* Add "KEY=VALUE" (or "KEY", taking the value from this process's
 * environment and skipping it when unset) to env, replacing an earlier KEY. */
int pd_env_add(char ***env, const char *spec, struct pd_err **err);
/* Read an env file: KEY=VALUE or KEY per line, '#' comments, blank lines. */
int pd_env_add_file(char ***env, const char *path, struct pd_err **err);
/* Add defaults that Docker sets when absent: PATH, HOSTNAME, HOME (later). */
void pd_env_set_default(char ***env, const char *key, const char *value);
const char *pd_env_get(char *const *env, const char *key);
