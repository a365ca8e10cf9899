/* Unit tests for oci/spec: the config.json decoder, the process and
 * resources decoders, and the default spec.  Valid documents are the real
 * output of `runc spec`, `crun spec` (and their --rootless), podman 4.3 and
 * containerd 1.6 (tests/unit/data/oci/, captured as docs/oci-runtime-clients.md
 * describes) and a document that sets every field; invalid ones are inline.
 * Pure logic; no root, no network. */
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci-fixture.h"

#include "linux/seccomp.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define BIT(c) (UINT64_C(1) << (c))

/* Parse a fixture that must be valid. */
static void parse_fixture(const char *name, struct pd_oci_spec *s)
{
	size_t len = 0;
	_cleanup_free_ char *text = read_fixture(name, &len);
	_cleanup_err_ struct pd_err *err = NULL;
	int r = pd_oci_spec_parse(text, len, s, &err);
	if (r < 0)
		fail_msg("%s: %s", name, err->msg);
	assert_null(err);
}

static int parse_text(const char *text, struct pd_oci_spec *s, struct pd_err **err)
{
	return pd_oci_spec_parse(text, strlen(text), s, err);
}

static const struct pd_oci_mount *find_mount(const struct pd_oci_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, dest) == 0)
			return &s->mounts[i];
	fail_msg("no mount at '%s'", dest);
	return NULL;
}

static bool has_ns(const struct pd_oci_spec *s, enum pd_oci_ns_type t)
{
	for (size_t i = 0; i < s->linux_cfg.n_namespaces; i++)
		if (s->linux_cfg.namespaces[i].type == t)
			return true;
	return false;
}

static const char *kv_get(const struct pd_oci_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

static const uint64_t runc_caps = BIT(CAP_AUDIT_WRITE) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);

/* What `runc spec` and `crun spec` (and our default) have in common. */
static void check_runc_style_default(const struct pd_oci_spec *s, bool rootless)
{
	assert_int_equal(s->version_major, 1);
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->root_readonly);
	const struct pd_oci_process *p = s->process;
	assert_non_null(p);
	assert_true(p->terminal);
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->gid, 0);
	assert_string_equal(p->args[0], "sh");
	assert_null(p->args[1]);
	assert_string_equal(p->cwd, "/");
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_true(p->has_caps);
	assert_true(p->caps.bounding == runc_caps);
	assert_true(p->caps.effective == runc_caps);
	assert_true(p->caps.permitted == runc_caps);
	assert_true(p->caps.ambient == runc_caps);
	assert_true(p->caps.inheritable == 0);
	assert_int_equal(p->n_rlimits, 1);
	assert_int_equal(p->rlimits[0].type, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].hard, 1024);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_true(p->no_new_privileges);
	assert_int_equal(s->n_mounts, 7);

	const struct pd_oci_mount *m = find_mount(s, "/proc");
	assert_string_equal(m->type, "proc");
	assert_null(m->options);
	assert_null(m->data);
	m = find_mount(s, "/dev");
	assert_string_equal(m->type, "tmpfs");
	assert_true(m->flags == (MS_NOSUID | MS_STRICTATIME));
	assert_string_equal(m->data, "mode=755,size=65536k");
	m = find_mount(s, "/dev/pts");
	assert_true(m->flags == (MS_NOSUID | MS_NOEXEC));
	assert_string_equal(m->data, rootless ? "newinstance,ptmxmode=0666,mode=0620"
					      : "newinstance,ptmxmode=0666,mode=0620,gid=5");
	m = find_mount(s, "/dev/shm");
	assert_true(m->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
	assert_string_equal(m->data, "mode=1777,size=65536k");
	m = find_mount(s, "/sys/fs/cgroup");
	assert_true(m->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY));
	assert_null(m->data);
	assert_false(m->is_bind);

	assert_true(s->has_linux);
	const struct pd_oci_linux *l = &s->linux_cfg;
	assert_true(has_ns(s, PD_OCI_NS_PID) && has_ns(s, PD_OCI_NS_IPC) && has_ns(s, PD_OCI_NS_UTS) &&
		    has_ns(s, PD_OCI_NS_MOUNT));
	assert_int_equal(has_ns(s, PD_OCI_NS_NETWORK), !rootless);
	assert_false(has_ns(s, PD_OCI_NS_CGROUP));
	assert_int_equal(l->n_namespaces, 5);
	for (size_t i = 0; i < l->n_namespaces; i++)
		assert_null(l->namespaces[i].path);
	size_t masked = 0;
	while (l->masked_paths[masked])
		masked++;
	assert_int_equal(masked, 10);
	assert_string_equal(l->masked_paths[0], "/proc/acpi");
	assert_string_equal(l->readonly_paths[4], "/proc/sysrq-trigger");
	assert_null(l->readonly_paths[5]);
}

static void test_runc_spec(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("runc-spec.json", &s);
	assert_string_equal(s.oci_version, "1.0.2-dev");
	assert_int_equal(s.version_minor, 0);
	assert_int_equal(s.version_patch, 2);
	check_runc_style_default(&s, false);
	assert_string_equal(s.hostname, "runc");
	const struct pd_oci_mount *m = find_mount(&s, "/sys");
	assert_string_equal(m->type, "sysfs");
	assert_true(m->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
	const struct pd_oci_linux *l = &s.linux_cfg;
	assert_true(l->has_resources);
	assert_int_equal(l->resources.n_devices, 1);
	assert_false(l->resources.devices[0].allow);
	assert_int_equal(l->resources.devices[0].type, 'a');
	assert_int_equal(l->resources.devices[0].major, -1);
	assert_int_equal(l->resources.devices[0].minor, -1);
	assert_string_equal(l->resources.devices[0].access, "rwm");
	assert_false(l->resources.has_memory);
	assert_null(l->cgroups_path.path);
	assert_false(l->has_seccomp);
	assert_int_equal(l->n_uid_mappings, 0);
	pd_oci_spec_free(&s);
}

static void test_runc_spec_rootless(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("runc-spec-rootless.json", &s);
	check_runc_style_default(&s, true);
	assert_true(has_ns(&s, PD_OCI_NS_USER));
	const struct pd_oci_mount *m = find_mount(&s, "/sys");
	assert_string_equal(m->type, "none");
	assert_string_equal(m->source, "/sys");
	assert_true(m->is_bind);
	assert_true(m->flags == (MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
	const struct pd_oci_linux *l = &s.linux_cfg;
	assert_false(l->has_resources);
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->uid_mappings[0].container_id, 0);
	assert_int_equal(l->uid_mappings[0].size, 1);
	assert_int_equal(l->n_gid_mappings, 1);
	pd_oci_spec_free(&s);
}

static void test_crun_spec(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("crun-spec.json", &s);
	assert_string_equal(s.oci_version, "1.0.0");
	check_runc_style_default(&s, false);
	assert_string_equal(s.hostname, "crun");
	pd_oci_spec_free(&s);

	parse_fixture("crun-spec-rootless.json", &s);
	/* crun's rootless spec keeps the network namespace and writes no
	 * mappings (crun fills them in at run time). */
	assert_true(has_ns(&s, PD_OCI_NS_USER));
	assert_true(has_ns(&s, PD_OCI_NS_NETWORK));
	assert_int_equal(s.linux_cfg.n_uid_mappings, 0);
	pd_oci_spec_free(&s);
}

static void test_podman_run(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("podman-run.json", &s);
	assert_string_equal(s.oci_version, "1.0.2-dev");
	const struct pd_oci_linux *l = &s.linux_cfg;
	assert_true(l->has_seccomp);
	const struct pd_oci_seccomp *sc = &l->seccomp;
	assert_string_equal(sc->default_action, "SCMP_ACT_ERRNO");
	assert_true(sc->default_errno_ret.set);
	assert_int_equal(sc->default_errno_ret.val, 38);
	assert_string_equal(sc->architectures[0], "SCMP_ARCH_X86_64");
	assert_string_equal(sc->architectures[2], "SCMP_ARCH_X32");
	assert_null(sc->architectures[3]);
	assert_int_equal(sc->n_syscalls, 19);
	assert_false(sc->uses_notify);
	assert_null(sc->listener_path);
	/* The raw text is the same object. */
	json_error_t je;
	json_t *j = json_loads(sc->json, JSON_REJECT_DUPLICATES, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "defaultAction")), "SCMP_ACT_ERRNO");
	assert_int_equal(json_array_size(json_object_get(j, "syscalls")), 19);
	json_decref(j);
	/* ... and the project's seccomp compiler takes it as it is. */
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_seccomp *filter =
	    pd_seccomp_from_json("podman-run.json", sc->json, s.process->caps.effective, &err);
	if (!filter)
		fail_msg("seccomp: %s", err->msg);
	pd_seccomp_free(filter);
	assert_true(strncmp(l->cgroups_path.path, "/libpod_parent/libpod-", 22) == 0);
	assert_null(l->cgroups_path.systemd_slice);
	assert_true(l->resources.has_pids);
	assert_int_equal(l->resources.pids_limit, 2048);
	assert_string_equal(kv_get(s.annotations, s.n_annotations, "io.container.manager"), "libpod");
	const struct pd_oci_mount *m = find_mount(&s, "/etc/hosts");
	assert_true(m->is_bind);
	assert_true(m->propagation == (MS_PRIVATE | MS_REC));
	assert_true(m->flags == MS_BIND);
	assert_null(m->data);
	assert_int_equal(s.process->n_rlimits, 2);
	assert_int_equal(s.process->umask.val, 022);
	assert_true(s.process->caps.bounding & BIT(CAP_SETFCAP));
	assert_false(s.process->caps.bounding & BIT(CAP_SYS_ADMIN));
	pd_oci_spec_free(&s);
}

static void test_podman_create_options(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("podman-create-options.json", &s);
	const struct pd_oci_process *p = s.process;
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 1000);
	assert_int_equal(p->n_additional_gids, 1);
	assert_int_equal(p->additional_gids[0], 1000);
	assert_true(p->caps.effective == BIT(CAP_NET_ADMIN));
	assert_true(p->caps.ambient == BIT(CAP_NET_ADMIN));
	assert_false(p->caps.bounding & BIT(CAP_CHOWN));
	assert_true(p->caps.bounding & BIT(CAP_NET_ADMIN));
	assert_true(p->oom_score_adj.set);
	assert_int_equal(p->oom_score_adj.val, 100);
	assert_true(p->no_new_privileges);
	assert_string_equal(p->cwd, "/tmp");
	assert_string_equal(s.hostname, "h2");
	assert_true(s.root_readonly);
	const struct pd_oci_linux *l = &s.linux_cfg;
	assert_string_equal(kv_get(l->sysctl, l->n_sysctl, "net.ipv4.ip_forward"), "1");
	const struct pd_oci_resources *r = &l->resources;
	assert_int_equal(r->mem_limit.val, 64 << 20);
	assert_int_equal(r->mem_swap.val, 128 << 20);
	assert_false(r->mem_reservation.set);
	assert_int_equal(r->cpu_shares.val, 512);
	assert_int_equal(r->cpu_quota.val, 50000);
	assert_int_equal(r->cpu_period.val, 100000);
	assert_int_equal(r->pids_limit, 50);
	assert_int_equal(r->n_devices, 2);
	assert_true(r->devices[1].allow);
	assert_int_equal(r->devices[1].type, 'c');
	assert_int_equal(r->devices[1].major, 1);
	assert_int_equal(r->devices[1].minor, 3);
	assert_int_equal(l->n_devices, 1);
	assert_string_equal(l->devices[0].path, "/dev/xnull");
	assert_int_equal(l->devices[0].type, 'c');
	assert_int_equal(l->devices[0].file_mode.val, S_IFCHR | 0666);
	const struct pd_oci_mount *m = find_mount(&s, "/w");
	assert_true(m->is_bind);
	assert_true(m->flags == (MS_BIND | MS_REC | MS_RDONLY));
	m = find_mount(&s, "/scratch");
	assert_string_equal(m->data, "size=1m,mode=1777");
	/* --read-only: podman adds writable tmpfs with its copy-up option. */
	m = find_mount(&s, "/run");
	assert_true(m->tmpcopyup);
	assert_true(m->flags == (MS_NOSUID | MS_NODEV));
	assert_true(m->clear_flags == MS_RDONLY);
	assert_true(m->propagation == (MS_PRIVATE | MS_REC));
	assert_null(m->data);
	m = find_mount(&s, "/etc/hostname");
	assert_true(m->flags == (MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV));
	pd_oci_spec_free(&s);
}

static void test_podman_privileged_and_systemd(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("podman-privileged.json", &s);
	assert_false(s.linux_cfg.has_seccomp);
	assert_false(has_ns(&s, PD_OCI_NS_NETWORK));
	assert_true(s.linux_cfg.n_devices > 10);
	assert_true(s.process->caps.bounding & BIT(CAP_SYS_ADMIN));
	pd_oci_spec_free(&s);

	parse_fixture("podman-systemd-cgroup.json", &s);
	const struct pd_oci_cgroups_path *cp = &s.linux_cfg.cgroups_path;
	assert_string_equal(cp->systemd_slice, "machine.slice");
	assert_string_equal(cp->systemd_prefix, "libpod");
	assert_int_equal(strlen(cp->systemd_name), 64);
	assert_true(strncmp(cp->path, "machine.slice:libpod:", 21) == 0);
	pd_oci_spec_free(&s);
}

static void test_containerd(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("containerd-ctr-run.json", &s);
	assert_string_equal(s.root_path, "rootfs");
	assert_false(s.root_readonly);
	assert_string_equal(s.linux_cfg.cgroups_path.path, "/pdtest/t6");
	assert_null(s.linux_cfg.cgroups_path.systemd_name);
	const struct pd_oci_resources *r = &s.linux_cfg.resources;
	assert_int_equal(r->n_devices, 10);
	assert_int_equal(r->devices[8].major, 136);
	assert_int_equal(r->devices[8].minor, -1);
	assert_int_equal(r->mem_limit.val, 64 << 20);
	assert_int_equal(s.process->additional_gids[0], 0);
	assert_true(s.process->caps.bounding & BIT(CAP_SYS_ADMIN));
	assert_null(s.process->env[2]);
	pd_oci_spec_free(&s);
}

static void test_process_and_resources_alone(void **state)
{
	size_t len = 0;
	_cleanup_free_ char *text = read_fixture("podman-exec-process.json", &len);
	struct pd_oci_process p;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_oci_process_parse(text, len, &p, &err), 0);
	assert_int_equal(p.uid, 1000);
	assert_string_equal(p.args[0], "true");
	assert_string_equal(p.cwd, "/tmp");
	assert_false(p.terminal);
	assert_true(p.caps.effective & BIT(CAP_CHOWN));
	pd_oci_process_free(&p);

	_cleanup_free_ char *tty = read_fixture("podman-exec-tty-process.json", &len);
	assert_int_equal(pd_oci_process_parse(tty, len, &p, &err), 0);
	assert_true(p.terminal);
	pd_oci_process_free(&p);

	/* Error paths are relative to the object. */
	const char *bad = "{\"user\": {\"uid\": \"x\", \"gid\": 0}, \"args\": [\"a\"], \"cwd\": \"/\"}";
	assert_int_equal(pd_oci_process_parse(bad, strlen(bad), &p, &err), -1);
	assert_string_equal(err->msg, "user.uid: want an integer from 0 to 4294967295");
	pd_err_freep(&err);

	_cleanup_free_ char *res = read_fixture("podman-update-resources.json", &len);
	struct pd_oci_resources r;
	assert_int_equal(pd_oci_resources_parse(res, len, &r, &err), 0);
	assert_int_equal(r.mem_limit.val, 52428800);
	assert_int_equal(r.mem_swap.val, 104857600);
	assert_int_equal(r.cpu_shares.val, 100);
	pd_oci_resources_free(&r);
	const char *rbad = "{\"pids\": {}}";
	assert_int_equal(pd_oci_resources_parse(rbad, strlen(rbad), &r, &err), -1);
	assert_string_equal(err->msg, "pids.limit: required");
}

static void test_every_field(void **state)
{
	struct pd_oci_spec s;
	parse_fixture("every-field.json", &s);
	assert_string_equal(s.oci_version, "1.2.0");
	assert_int_equal(s.version_minor, 2);
	assert_string_equal(s.root_path, "/var/lib/bundle/rootfs");
	assert_false(s.root_readonly);
	assert_string_equal(s.hostname, "every");
	assert_string_equal(s.domainname, "example.org");

	/* mounts */
	assert_int_equal(s.n_mounts, 3);
	const struct pd_oci_mount *m = &s.mounts[0];
	assert_true(m->is_bind);
	/* "ro" then "rw": the later one wins. */
	assert_true(m->flags == (MS_BIND | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC));
	assert_true(m->clear_flags == MS_RDONLY);
	assert_true(m->propagation == (MS_SLAVE | MS_REC));
	assert_true(m->rec_attr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME));
	assert_true(m->rec_attr_clr == MOUNT_ATTR__ATIME);
	assert_true(m->idmap);
	assert_null(m->data);
	assert_int_equal(m->n_uid_mappings, 1);
	assert_int_equal(m->uid_mappings[0].host_id, 100000);
	assert_int_equal(m->gid_mappings[0].host_id, 200000);
	m = &s.mounts[1];
	assert_false(m->is_bind);
	assert_true(m->tmpcopyup);
	assert_true(m->flags == MS_STRICTATIME);
	assert_true(m->propagation == MS_SHARED);
	assert_string_equal(m->data, "mode=1777,size=10m,uid=5");
	m = &s.mounts[2];
	assert_null(m->type);
	assert_null(m->source);
	assert_null(m->options);

	/* process */
	const struct pd_oci_process *p = s.process;
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_height, 25);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 1001);
	assert_int_equal(p->umask.val, 022);
	assert_int_equal(p->n_additional_gids, 3);
	assert_int_equal(p->additional_gids[2], UINT32_MAX);
	assert_string_equal(p->args[2], "echo hi");
	assert_string_equal(p->env[1], "A=b");
	assert_string_equal(p->cwd, "/work");
	assert_true(p->caps.bounding == (BIT(CAP_CHOWN) | BIT(CAP_NET_RAW) | BIT(CAP_CHECKPOINT_RESTORE)));
	assert_true(p->caps.effective == BIT(CAP_NET_RAW));
	assert_true(p->caps.inheritable == 0);
	assert_true(p->caps.permitted == (BIT(CAP_NET_RAW) | BIT(CAP_SYS_ADMIN)));
	assert_true(p->caps.ambient == BIT(CAP_KILL));
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[1].type, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->rlimits[1].soft == RLIM_INFINITY);
	assert_true(p->no_new_privileges);
	assert_int_equal(p->oom_score_adj.val, -500);
	assert_string_equal(p->apparmor_profile, "unconfined-profile");
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
	assert_true(p->has_io_priority);
	assert_int_equal(p->io_priority_class, 2);
	assert_int_equal(p->io_priority, 4);
	assert_true(p->has_scheduler);
	assert_true(p->has_exec_cpu_affinity);

	/* hooks */
	assert_int_equal(s.hooks[PD_OCI_HOOK_PRESTART].n, 1);
	const struct pd_oci_hook *h = &s.hooks[PD_OCI_HOOK_CREATE_RUNTIME].hooks[0];
	assert_string_equal(h->path, "/usr/bin/net-setup");
	assert_string_equal(h->args[1], "--up");
	assert_string_equal(h->env[0], "X=1");
	assert_true(h->timeout.set);
	assert_int_equal(h->timeout.val, 5);
	assert_int_equal(s.hooks[PD_OCI_HOOK_CREATE_CONTAINER].n, 1);
	assert_int_equal(s.hooks[PD_OCI_HOOK_START_CONTAINER].n, 2);
	assert_false(s.hooks[PD_OCI_HOOK_START_CONTAINER].hooks[0].timeout.set);
	assert_null(s.hooks[PD_OCI_HOOK_START_CONTAINER].hooks[0].args);
	assert_int_equal(s.hooks[PD_OCI_HOOK_POSTSTART].n, 1);
	assert_string_equal(s.hooks[PD_OCI_HOOK_POSTSTOP].hooks[0].args[0], "cleanup");
	assert_string_equal(pd_oci_hook_name(PD_OCI_HOOK_CREATE_CONTAINER), "createContainer");

	/* annotations */
	assert_int_equal(s.n_annotations, 2);
	assert_string_equal(s.annotations[0].key, "org.example.key");
	assert_string_equal(kv_get(s.annotations, s.n_annotations, "com.example.empty"), "");

	/* linux */
	const struct pd_oci_linux *l = &s.linux_cfg;
	assert_int_equal(l->n_namespaces, PD_OCI_NS_COUNT);
	for (int t = 0; t < PD_OCI_NS_COUNT; t++)
		assert_true(has_ns(&s, (enum pd_oci_ns_type)t));
	assert_string_equal(l->namespaces[1].path, "/var/run/netns/x");
	assert_string_equal(pd_oci_ns_name(l->namespaces[7].type), "time");
	assert_int_equal(l->n_uid_mappings, 2);
	assert_int_equal(l->uid_mappings[1].size, 65536);
	assert_int_equal(l->n_gid_mappings, 1);
	assert_true(l->has_time_offsets);
	assert_true(l->time_offset_monotonic.set);
	assert_int_equal(l->time_offset_monotonic.secs, -3600);
	assert_int_equal(l->time_offset_monotonic.nanosecs, 5);
	assert_int_equal(l->time_offset_boottime.secs, 86400);
	assert_int_equal(l->n_devices, 3);
	assert_int_equal(l->devices[0].file_mode.val, 0666);
	assert_true(l->devices[0].uid.set);
	assert_int_equal(l->devices[1].type, 'b');
	assert_false(l->devices[1].file_mode.set);
	assert_int_equal(l->devices[2].type, 'p');

	const struct pd_oci_resources *r = &l->resources;
	assert_int_equal(r->n_devices, 3);
	assert_string_equal(r->devices[1].access, "rw");
	assert_int_equal(r->devices[2].minor, -1);
	assert_true(r->has_memory);
	assert_int_equal(r->mem_limit.val, 512 << 20);
	assert_int_equal(r->mem_reservation.val, 256 << 20);
	assert_int_equal(r->mem_swap.val, 1 << 30);
	assert_int_equal(r->mem_kernel.val, -1);
	assert_int_equal(r->mem_kernel_tcp.val, 1 << 20);
	assert_int_equal(r->mem_swappiness.val, 60);
	assert_true(r->mem_disable_oom_killer);
	assert_true(r->mem_use_hierarchy);
	assert_int_equal(r->cpu_shares.val, 1024);
	assert_int_equal(r->cpu_quota.val, 50000);
	assert_int_equal(r->cpu_burst.val, 1000);
	assert_int_equal(r->cpu_period.val, 100000);
	assert_int_equal(r->cpu_realtime_runtime.val, 950000);
	assert_int_equal(r->cpu_realtime_period.val, 1000000);
	assert_string_equal(r->cpu_cpus, "0-3");
	assert_string_equal(r->cpu_mems, "0");
	assert_int_equal(r->cpu_idle.val, 1);
	assert_int_equal(r->pids_limit, 100);
	assert_true(r->has_block_io);
	assert_int_equal(r->blkio_weight.val, 500);
	assert_int_equal(r->blkio_leaf_weight.val, 300);
	assert_int_equal(r->n_blkio_weight_device, 2);
	assert_int_equal(r->blkio_weight_device[0].weight.val, 600);
	assert_false(r->blkio_weight_device[1].weight.set);
	assert_int_equal(r->blkio_throttle_read_bps[0].rate, 100 << 20);
	assert_int_equal(r->blkio_throttle_write_bps[0].rate, 50 << 20);
	assert_int_equal(r->blkio_throttle_read_iops[0].rate, 1000);
	assert_int_equal(r->blkio_throttle_write_iops[0].minor, 0);
	assert_int_equal(r->n_hugepage_limits, 2);
	assert_string_equal(r->hugepage_limits[1].page_size, "1GB");
	assert_int_equal(r->hugepage_limits[0].limit, 200 << 20);
	assert_true(r->has_network);
	assert_int_equal(r->net_class_id.val, 0x100001);
	assert_string_equal(r->net_priorities[1].name, "lo");
	assert_int_equal(r->net_priorities[0].priority, 500);
	assert_true(r->has_rdma);
	assert_string_equal(kv_get(r->unified, r->n_unified, "io.weight"), "default 100");

	assert_string_equal(l->cgroups_path.systemd_slice, "user.slice");
	assert_string_equal(l->cgroups_path.systemd_prefix, "pocket");
	assert_string_equal(l->cgroups_path.systemd_name, "every");
	assert_string_equal(kv_get(l->sysctl, l->n_sysctl, "kernel.shmmax"), "4294967296");

	const struct pd_oci_seccomp *sc = &l->seccomp;
	assert_true(l->has_seccomp);
	assert_true(sc->flags == (PD_OCI_SECCOMP_FLAG_LOG | PD_OCI_SECCOMP_FLAG_SPEC_ALLOW));
	assert_string_equal(sc->listener_path, "/run/seccomp-agent.sock");
	assert_string_equal(sc->listener_metadata, "meta");
	assert_true(sc->uses_notify);
	assert_int_equal(sc->n_syscalls, 3);
	/* A uint64 argument past 2^63 survives in the raw text as its two's
	 * complement, which the seccomp compiler reads back as uint64. */
	assert_non_null(strstr(sc->json, "\"value\":-1"));

	assert_string_equal(l->masked_paths[1], "/sys/firmware");
	assert_string_equal(l->readonly_paths[0], "/proc/sys");
	assert_true(l->rootfs_propagation == (MS_SLAVE | MS_REC));
	assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
	assert_true(l->has_intel_rdt);
	assert_true(l->has_personality);
	assert_true(l->personality_linux32);
	assert_true(l->has_net_devices);
	assert_true(l->has_memory_policy);
	pd_oci_spec_free(&s);
}

/* The smallest valid document, with `extra` spliced in at the top level
 * (",\"key\": value" form) and `proc_extra` / `linux_extra` inside process
 * and linux. */
static char *doc(const char *extra, const char *proc_extra, const char *linux_extra)
{
	return xasprintf(
	    "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
	    "\"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\"%s}, "
	    "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]%s}%s}",
	    proc_extra, linux_extra, extra);
}

static void test_minimal_and_unknown_keys(void **state)
{
	struct pd_oci_spec s;
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *d = doc("", "", "");
	assert_int_equal(parse_text(d, &s, &err), 0);
	assert_null(s.process->env);
	assert_false(s.process->has_caps);
	assert_null(s.hostname);
	assert_int_equal(s.n_mounts, 0);
	pd_oci_spec_free(&s);

	/* Unknown keys at every level are ignored; nulls are absent. */
	_cleanup_free_ char *d2 = doc(
	    ", \"futureTop\": {\"x\": [1]}, \"mounts\": null, \"hostname\": null, \"annotations\": null",
	    ", \"futureProc\": 1, \"env\": null, \"capabilities\": {\"bounding\": null, \"future\": []}",
	    ", \"resources\": {\"memory\": {\"futureMem\": true, \"limit\": null}, \"future\": 1}, "
	    "\"futureLinux\": \"x\", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"futureSc\": 1}");
	assert_int_equal(parse_text(d2, &s, &err), 0);
	assert_true(s.process->has_caps);
	assert_true(s.linux_cfg.resources.has_memory);
	assert_false(s.linux_cfg.resources.mem_limit.set);
	assert_int_equal(s.linux_cfg.seccomp.n_syscalls, 0);
	pd_oci_spec_free(&s);

	/* No process at all is a valid document (`create` refuses it later). */
	const char *noproc = "{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"r\"}}";
	assert_int_equal(parse_text(noproc, &s, &err), 0);
	assert_null(s.process);
	assert_false(s.has_linux);
	pd_oci_spec_free(&s);

	/* Minor versions past 2 are read (a minor only adds fields). */
	const char *future = "{\"ociVersion\": \"1.7.3-rc.1+meta\", \"root\": {\"path\": \"r\"}}";
	assert_int_equal(parse_text(future, &s, &err), 0);
	assert_int_equal(s.version_minor, 7);
	pd_oci_spec_free(&s);
}

struct bad_case {
	const char *extra, *proc_extra, *linux_extra;
	const char *want; /* the whole error message */
};

static void check_bad(const struct bad_case *c)
{
	struct pd_oci_spec s;
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *d = doc(c->extra ? c->extra : "", c->proc_extra ? c->proc_extra : "",
				     c->linux_extra ? c->linux_extra : "");
	int r = parse_text(d, &s, &err);
	if (r == 0)
		fail_msg("accepted: %s", d);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	if (strcmp(err->msg, c->want) != 0)
		fail_msg("document %s\n  got  '%s'\n  want '%s'", d, err->msg, c->want);
	/* Nothing is left to free. */
	assert_null(s.oci_version);
	assert_null(s.process);
	assert_null(s.mounts);
}

static void test_invalid_fields(void **state)
{
	static const struct bad_case cases[] = {
		{ ", \"hostname\": 3", NULL, NULL, "hostname: want a string" },
		{ ", \"mounts\": {}", NULL, NULL, "mounts: want an array" },
		{ ", \"mounts\": [{\"type\": \"tmpfs\"}]", NULL, NULL, "mounts[0].destination: required" },
		{ ", \"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"/b\", \"options\": [\"ro\", "
		  "7]}]",
		  NULL, NULL, "mounts[1].options[1]: want a string" },
		{ ", \"mounts\": [{\"destination\": \"/a\", \"uidMappings\": [{\"containerID\": 0, "
		  "\"hostID\": "
		  "1}]}]",
		  NULL, NULL, "mounts[0].uidMappings[0].size: required" },
		{ NULL, ", \"terminal\": \"yes\"", NULL, "process.terminal: want true or false" },
		{ NULL, ", \"consoleSize\": {\"height\": 10}", NULL, "process.consoleSize.width: required" },
		{ NULL, ", \"env\": [\"A=1\", null]", NULL, "process.env[1]: want a string" },
		{ NULL, ", \"capabilities\": {\"effective\": [\"CAP_NET_RAW\", \"CAP_FLY\"]}", NULL,
		  "process.capabilities.effective[1]: unknown capability 'CAP_FLY'" },
		{ NULL, ", \"capabilities\": {\"bounding\": [\"net_raw\"]}", NULL,
		  "process.capabilities.bounding[0]: unknown capability 'net_raw'" },
		{ NULL, ", \"capabilities\": []", NULL, "process.capabilities: want an object" },
		{ NULL, ", \"rlimits\": [{\"type\": \"RLIMIT_FLY\", \"hard\": 1, \"soft\": 1}]", NULL,
		  "process.rlimits[0].type: unknown rlimit 'RLIMIT_FLY'" },
		{ NULL,
		  ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 1}, "
		  "{\"type\": \"RLIMIT_NOFILE\", \"hard\": 2, \"soft\": 2}]",
		  NULL, "process.rlimits[1].type: RLIMIT_NOFILE given twice" },
		{ NULL, ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 2}]", NULL,
		  "process.rlimits[0].soft: 2 is above the hard limit 1" },
		{ NULL, ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2}]", NULL,
		  "process.rlimits[0].hard: required" },
		{ NULL, ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1.5, \"soft\": 1}]", NULL,
		  "process.rlimits[0].hard: want a non-negative integer" },
		{ NULL, ", \"noNewPrivileges\": 1", NULL, "process.noNewPrivileges: want true or false" },
		{ NULL, ", \"oomScoreAdj\": 1001", NULL,
		  "process.oomScoreAdj: want an integer from -1000 to 1000" },
		{ NULL, ", \"apparmorProfile\": []", NULL, "process.apparmorProfile: want a string" },
		{ NULL, ", \"ioPriority\": {\"class\": \"IOPRIO_CLASS_X\"}", NULL,
		  "process.ioPriority.class: unknown class 'IOPRIO_CLASS_X' (want IOPRIO_CLASS_RT, "
		  "IOPRIO_CLASS_BE or "
		  "IOPRIO_CLASS_IDLE)" },
		{ NULL, ", \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", \"priority\": 8}", NULL,
		  "process.ioPriority.priority: want an integer from 0 to 7" },
		{ NULL, ", \"scheduler\": \"fifo\"", NULL, "process.scheduler: want an object" },
		{ ", \"hooks\": {\"poststop\": [{\"path\": \"relative\"}]}", NULL, NULL,
		  "hooks.poststop[0].path: 'relative' is not an absolute path" },
		{ ", \"hooks\": {\"prestart\": [{\"path\": \"/x\", \"timeout\": 0}]}", NULL, NULL,
		  "hooks.prestart[0].timeout: want an integer from 1 to 2147483647" },
		{ ", \"hooks\": {\"createRuntime\": [{}]}", NULL, NULL,
		  "hooks.createRuntime[0].path: required" },
		{ ", \"hooks\": {\"poststart\": {}}", NULL, NULL, "hooks.poststart: want an array" },
		{ ", \"annotations\": {\"a\": \"b\", \"c\": 1}", NULL, NULL, "annotations.c: want a string" },
		{ ", \"annotations\": {\"\\u0001bad\": 1}", NULL, NULL,
		  "annotations.\\x01bad: want a string" },
		{ ", \"annotations\": []", NULL, NULL, "annotations: want an object" },
		{ ", \"domainname\": false", NULL, NULL, "domainname: want a string" },
		{ NULL, NULL, ", \"uidMappings\": [{\"containerID\": -1, \"hostID\": 0, \"size\": 1}]",
		  "linux.uidMappings[0].containerID: want an integer from 0 to 4294967295" },
		{ NULL, NULL, ", \"timeOffsets\": {\"realtime\": {\"secs\": 1}}",
		  "linux.timeOffsets.realtime: unknown clock (want monotonic or boottime)" },
		{ NULL, NULL, ", \"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}",
		  "linux.timeOffsets.boottime.nanosecs: want an integer from 0 to 999999999" },
		{ NULL, NULL, ", \"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\"}]",
		  "linux.devices[0].type: want \"c\", \"b\", \"u\" or \"p\"" },
		{ NULL, NULL, ", \"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1}]",
		  "linux.devices[0].minor: required for a device of type 'c'" },
		{ NULL, NULL, ", \"devices\": [{\"path\": \"dev/x\", \"type\": \"p\"}]",
		  "linux.devices[0].path: 'dev/x' is not an absolute path" },
		{ NULL, NULL, ", \"resources\": {\"devices\": [{\"access\": \"rwm\"}]}",
		  "linux.resources.devices[0].allow: required" },
		{ NULL, NULL, ", \"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
		  "linux.resources.devices[0].access: 'rwx': want some of \"rwm\"" },
		{ NULL, NULL, ", \"resources\": {\"devices\": [{\"allow\": true, \"type\": \"p\"}]}",
		  "linux.resources.devices[0].type: want \"a\", \"c\" or \"b\"" },
		{ NULL, NULL, ", \"resources\": {\"memory\": {\"limit\": \"1g\"}}",
		  "linux.resources.memory.limit: want an integer" },
		{ NULL, NULL, ", \"resources\": {\"memory\": {\"swappiness\": 101}}",
		  "linux.resources.memory.swappiness: want an integer from 0 to 100" },
		{ NULL, NULL, ", \"resources\": {\"memory\": {\"disableOOMKiller\": 0}}",
		  "linux.resources.memory.disableOOMKiller: want true or false" },
		{ NULL, NULL, ", \"resources\": {\"cpu\": {\"cpus\": 3}}",
		  "linux.resources.cpu.cpus: want a string" },
		{ NULL, NULL, ", \"resources\": {\"cpu\": {\"period\": 1.5}}",
		  "linux.resources.cpu.period: want a non-negative integer" },
		{ NULL, NULL, ", \"resources\": {\"pids\": {\"limit\": true}}",
		  "linux.resources.pids.limit: want an integer" },
		{ NULL, NULL, ", \"resources\": {\"blockIO\": {\"weight\": 70000}}",
		  "linux.resources.blockIO.weight: want an integer from 0 to 65535" },
		{ NULL, NULL,
		  ", \"resources\": {\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": "
		  "0}]}}",
		  "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required" },
		{ NULL, NULL, ", \"resources\": {\"hugepageLimits\": [{\"limit\": 1}]}",
		  "linux.resources.hugepageLimits[0].pageSize: required" },
		{ NULL, NULL, ", \"resources\": {\"network\": {\"classID\": 4294967296}}",
		  "linux.resources.network.classID: want an integer from 0 to 4294967295" },
		{ NULL, NULL, ", \"resources\": {\"unified\": {\"memory.max\": 5}}",
		  "linux.resources.unified.memory.max: want a string" },
		{ NULL, NULL, ", \"resources\": {\"rdma\": []}", "linux.resources.rdma: want an object" },
		{ NULL, NULL, ", \"cgroupsPath\": []", "linux.cgroupsPath: want a string" },
		{ NULL, NULL, ", \"sysctl\": {\"net.ipv4.ip_forward\": 1}",
		  "linux.sysctl.net.ipv4.ip_forward: want a string" },
		{ NULL, NULL, ", \"seccomp\": {}", "linux.seccomp.defaultAction: required" },
		{ NULL, NULL, ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_MAYBE\"}",
		  "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_MAYBE'" },
		{ NULL, NULL,
		  ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
		  "[\"SCMP_ARCH_Z80\"]}",
		  "linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_Z80'" },
		{ NULL, NULL,
		  ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
		  "[\"SECCOMP_FILTER_FLAG_X\"]}",
		  "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_X'" },
		{ NULL, NULL,
		  ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": []}]}",
		  "linux.seccomp.syscalls[0].action: required" },
		{ NULL, NULL, ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": 1}",
		  "linux.seccomp.listenerPath: want a string" },
		{ NULL, NULL, ", \"maskedPaths\": \"/proc/kcore\"", "linux.maskedPaths: want an array" },
		{ NULL, NULL, ", \"rootfsPropagation\": \"rsomething\"",
		  "linux.rootfsPropagation: unknown propagation 'rsomething' (want private, rprivate, slave, "
		  "rslave, "
		  "shared, rshared, unbindable or runbindable)" },
		{ NULL, NULL, ", \"rootfsPropagation\": \"ro\"",
		  "linux.rootfsPropagation: unknown propagation 'ro' (want private, rprivate, slave, rslave, "
		  "shared, "
		  "rshared, unbindable or runbindable)" },
		{ NULL, NULL, ", \"personality\": {\"domain\": \"LINUX64\"}",
		  "linux.personality.domain: unknown domain 'LINUX64' (want LINUX or LINUX32)" },
		{ NULL, NULL, ", \"intelRdt\": true", "linux.intelRdt: want an object" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad(&cases[i]);
}

/* Whole documents that are wrong at the top. */
static void check_bad_text(const char *text, size_t len, const char *want)
{
	struct pd_oci_spec s;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_oci_spec_parse(text, len, &s, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	if (!strstr(err->msg, want))
		fail_msg("document %.200s\n  got  '%s'\n  want '%s'", text, err->msg, want);
	assert_null(s.oci_version);
}

#define BAD(text, want) check_bad_text(text, strlen(text), want)

static void test_invalid_documents(void **state)
{
	BAD("[]", "the config is not a JSON object");
	BAD("\"config\"", "the config is not valid JSON: line 1 column 8: '[' or '{' expected");
	BAD("42", "'[' or '{' expected");
	BAD("", "the config is not valid JSON");
	BAD("{\"ociVersion\": \"1.0.0\",", "the config is not valid JSON: line 1");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"root\": {\"path\": \"b\"}}",
	    "duplicate");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\", \"path\": \"b\"}}", "duplicate");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"linux\": {\"namespaces\": [], "
	    "\"namespaces\": []}}",
	    "duplicate");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\\u0000b\"}}", "not valid JSON");
	BAD("{\"root\": {\"path\": \"a\"}}", "ociVersion: required");
	BAD("{\"ociVersion\": 1, \"root\": {\"path\": \"a\"}}", "ociVersion: want a string");
	BAD("{\"ociVersion\": \"2.0.0\", \"root\": {\"path\": \"a\"}}",
	    "ociVersion: '2.0.0': version 2 of the runtime spec is not supported (want 1.x)");
	BAD("{\"ociVersion\": \"0.6.0\", \"root\": {\"path\": \"a\"}}", "version 0 of the runtime spec");
	static const char *const malformed[] = { "1.0",	   "1",	     "",     "1.0.0.0", "v1.0.0",   "1.0.x",
						 "01.0.0", "1.0.0-", "1..0", "1.0.0 ",	"1.0.0-a b" };
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		_cleanup_free_ char *d =
		    xasprintf("{\"ociVersion\": \"%s\", \"root\": {\"path\": \"a\"}}", malformed[i]);
		_cleanup_free_ char *want = xasprintf("ociVersion: '%s' is not a version", malformed[i]);
		BAD(d, want);
	}
	BAD("{\"ociVersion\": \"1.0.0\"}", "root: required");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"readonly\": true}}", "root.path: required");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\", \"readonly\": \"yes\"}}",
	    "root.readonly: want true or false");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": []}", "root: want an object");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"process\": {\"args\": [\"a\"], "
	    "\"cwd\": \"/\"}}",
	    "process.user: required");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"process\": {\"user\": {\"uid\": 0, "
	    "\"gid\": 0}, \"args\": [], \"cwd\": \"/\"}}",
	    "process.args: required (at least one entry)");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"process\": {\"user\": {\"uid\": 0, "
	    "\"gid\": 0}, \"args\": [\"a\"], \"cwd\": \"rel\"}}",
	    "process.cwd: 'rel' is not an absolute path");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"process\": {\"user\": {\"uid\": 0, "
	    "\"gid\": 0}, \"args\": [\"a\"]}}",
	    "process.cwd: required");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"process\": {\"user\": {\"uid\": 0, "
	    "\"gid\": 0, \"umask\": 512}, \"args\": [\"a\"], \"cwd\": \"/\"}}",
	    "process.user.umask: want an integer from 0 to 511");
	/* uint32 fields refuse 2^64-1 (which reads as -1). */
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"process\": {\"user\": {\"uid\": "
	    "18446744073709551615, \"gid\": 0}, \"args\": [\"a\"], \"cwd\": \"/\"}}",
	    "process.user.uid: want an integer from 0 to 4294967295");
	/* Past uint64 is refused by the JSON reader. */
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"x\": 18446744073709551616}",
	    "not valid JSON");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"linux\": {\"namespaces\": "
	    "[{\"type\": "
	    "\"pid\"}, {\"type\": \"pid\"}]}}",
	    "linux.namespaces[1].type: namespace 'pid' given twice");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"linux\": {\"namespaces\": "
	    "[{\"type\": "
	    "\"net\"}]}}",
	    "linux.namespaces[0].type: unknown namespace type 'net'");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"linux\": {\"namespaces\": "
	    "[{\"type\": "
	    "\"network\", \"path\": \"netns\"}]}}",
	    "linux.namespaces[0].path: 'netns' is not an absolute path");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"linux\": []}",
	    "linux: want an object");
	BAD("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"hooks\": []}",
	    "hooks: want an object");
}

static void test_limits(void **state)
{
	/* More than 1 MiB: refused before parsing. */
	size_t big = PD_OCI_MAX_JSON + 1;
	_cleanup_free_ char *huge = xmalloc(big + 1);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	huge[big] = '\0';
	check_bad_text(huge, big, "the config is 1048577 bytes (at most 1048576)");

	/* 4096 env entries are fine, 4097 are not; the same for mounts and
	 * map entries. */
	for (int n = PD_OCI_MAX_ITEMS; n <= PD_OCI_MAX_ITEMS + 1; n++) {
		size_t cap = (size_t)n * 40 + 512;
		char *d = xmalloc(cap);
		size_t o = (size_t)snprintf(
		    d, cap,
		    "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"process\": "
		    "{\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"a\"], \"cwd\": \"/\", "
		    "\"env\": [");
		for (int i = 0; i < n; i++)
			o += (size_t)snprintf(d + o, cap - o, "%s\"V%d=1\"", i ? "," : "", i);
		snprintf(d + o, cap - o, "]}}");
		struct pd_oci_spec s;
		_cleanup_err_ struct pd_err *err = NULL;
		int r = parse_text(d, &s, &err);
		if (n == PD_OCI_MAX_ITEMS) {
			assert_int_equal(r, 0);
			assert_string_equal(s.process->env[n - 1], "V4095=1");
			pd_oci_spec_free(&s);
		} else {
			assert_int_equal(r, -1);
			assert_string_equal(err->msg, "process.env: 4097 entries (at most 4096)");
		}
		free(d);
	}
	size_t cap = (PD_OCI_MAX_ITEMS + 1) * 32 + 256;
	_cleanup_free_ char *d = xmalloc(cap);
	size_t o = (size_t)snprintf(
	    d, cap, "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"annotations\": {");
	for (int i = 0; i <= PD_OCI_MAX_ITEMS; i++)
		o += (size_t)snprintf(d + o, cap - o, "%s\"k%d\": \"v\"", i ? "," : "", i);
	snprintf(d + o, cap - o, "}}");
	check_bad_text(d, strlen(d), "annotations: 4097 entries (at most 4096)");

	/* A long map key is cut in the message. */
	_cleanup_free_ char *longkey = xmalloc(300);
	memset(longkey, 'k', 299);
	longkey[299] = '\0';
	_cleanup_free_ char *d2 = xasprintf(
	    "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"a\"}, \"annotations\": {\"%s\": 1}}",
	    longkey);
	struct pd_oci_spec s;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(parse_text(d2, &s, &err), -1);
	assert_true(strlen(err->msg) < 120);
	assert_non_null(strstr(err->msg, "kkk...: want a string"));
}

static void test_big_integers(void **state)
{
	struct pd_oci_spec s;
	_cleanup_err_ struct pd_err *err = NULL;
	/* Go's uint64 values past 2^63: exact; the same digits inside a
	 * string are left alone; exponents and reals are not integers. */
	const char *d =
	    "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"18446744073709551615\"}, "
	    "\"annotations\": {\"n\": \"9223372036854775808\"}, "
	    "\"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"a\"], \"cwd\": \"/\", "
	    "\"rlimits\": [{\"type\": \"RLIMIT_MEMLOCK\",\"hard\":18446744073709551615,"
	    "\"soft\":\n9223372036854775808}, {\"type\": \"RLIMIT_AS\", \"hard\": 10000000000000000000, "
	    "\"soft\": 9223372036854775807}, {\"type\": \"RLIMIT_CORE\", \"hard\": -1, \"soft\": 0}]}, "
	    "\"x\": [1e19, 1.5, -9223372036854775808]}";
	assert_int_equal(parse_text(d, &s, &err), 0);
	assert_string_equal(s.root_path, "18446744073709551615");
	assert_string_equal(s.annotations[0].value, "9223372036854775808");
	assert_true(s.process->rlimits[0].hard == UINT64_MAX);
	assert_true(s.process->rlimits[0].soft == UINT64_C(9223372036854775808));
	assert_true(s.process->rlimits[1].hard == UINT64_C(10000000000000000000));
	assert_true(s.process->rlimits[1].soft == INT64_MAX);
	/* A negative integer in a uint64 field is its two's complement, as
	 * the seccomp compiler reads it ("-1": unlimited). */
	assert_true(s.process->rlimits[2].hard == RLIM_INFINITY);
	pd_oci_spec_free(&s);
}

static void test_cap_names(void **state)
{
	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		const char *n = pd_oci_cap_name(c);
		assert_non_null(n);
		assert_int_equal(pd_oci_cap_from_name(n), c);
	}
	assert_null(pd_oci_cap_name(CAP_LAST_CAP + 1));
	assert_null(pd_oci_cap_name(-1));
	assert_int_equal(pd_oci_cap_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
	assert_int_equal(pd_oci_cap_from_name("SYS_ADMIN"), -1);
	assert_int_equal(pd_oci_cap_from_name("cap_sys_admin"), -1);
	assert_int_equal(pd_oci_cap_from_name(""), -1);
}

static void test_default_spec(void **state)
{
	for (int rootless = 0; rootless <= 1; rootless++) {
		_cleanup_free_ char *text = NULL;
		_cleanup_err_ struct pd_err *err = NULL;
		assert_int_equal(pd_oci_spec_default(rootless, &text, &err), 0);
		assert_null(err);
		assert_true(text[strlen(text) - 1] == '\n');
		struct pd_oci_spec s;
		if (parse_text(text, &s, &err) < 0)
			fail_msg("the default spec does not parse: %s", err->msg);
		assert_string_equal(s.oci_version, PD_OCI_VERSION);
		check_runc_style_default(&s, rootless);
		assert_string_equal(s.hostname, "pocket");
		const struct pd_oci_linux *l = &s.linux_cfg;
		const struct pd_oci_mount *m = find_mount(&s, "/sys");
		if (!rootless) {
			assert_string_equal(m->type, "sysfs");
			assert_false(m->is_bind);
			assert_int_equal(l->resources.n_devices, 1);
			assert_false(l->resources.devices[0].allow);
			assert_false(has_ns(&s, PD_OCI_NS_USER));
			assert_int_equal(l->n_uid_mappings, 0);
		} else {
			assert_true(m->is_bind);
			assert_string_equal(m->source, "/sys");
			assert_false(l->has_resources);
			assert_true(has_ns(&s, PD_OCI_NS_USER));
			assert_int_equal(l->n_uid_mappings, 1);
			assert_int_equal(l->uid_mappings[0].container_id, 0);
			assert_int_equal(l->uid_mappings[0].host_id, geteuid());
			assert_int_equal(l->gid_mappings[0].host_id, getegid());
		}
		pd_oci_spec_free(&s);

		/* The same content as runc's, field for field. */
		struct pd_oci_spec runc;
		parse_fixture(rootless ? "runc-spec-rootless.json" : "runc-spec.json", &runc);
		assert_true(parse_text(text, &s, &err) == 0);
		assert_int_equal(s.n_mounts, runc.n_mounts);
		for (size_t i = 0; i < s.n_mounts; i++) {
			assert_string_equal(s.mounts[i].destination, runc.mounts[i].destination);
			assert_string_equal(s.mounts[i].type, runc.mounts[i].type);
			assert_true(s.mounts[i].flags == runc.mounts[i].flags);
			if (runc.mounts[i].data)
				assert_string_equal(s.mounts[i].data, runc.mounts[i].data);
		}
		assert_int_equal(s.linux_cfg.n_namespaces, runc.linux_cfg.n_namespaces);
		for (size_t i = 0; i < s.linux_cfg.n_namespaces; i++)
			assert_true(has_ns(&runc, s.linux_cfg.namespaces[i].type));
		pd_oci_spec_free(&runc);
		pd_oci_spec_free(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runc_spec),
		cmocka_unit_test(test_runc_spec_rootless),
		cmocka_unit_test(test_crun_spec),
		cmocka_unit_test(test_podman_run),
		cmocka_unit_test(test_podman_create_options),
		cmocka_unit_test(test_podman_privileged_and_systemd),
		cmocka_unit_test(test_containerd),
		cmocka_unit_test(test_process_and_resources_alone),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_minimal_and_unknown_keys),
		cmocka_unit_test(test_invalid_fields),
		cmocka_unit_test(test_invalid_documents),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_big_integers),
		cmocka_unit_test(test_cap_names),
		cmocka_unit_test(test_default_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
