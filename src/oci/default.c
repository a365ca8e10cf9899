/* The default config.json that `spec` writes (see spec.h): the content of
 * `runc spec` and `runc spec --rootless` (runc 1.1, and crun 1.8's, which
 * differs only in the hostname and an empty inheritable set), written for
 * this runtime.  Pure logic but for geteuid/getegid; any process. */
#include "oci/spec.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* One document, the rootless variant's differences filled in at the %s:
 * the /sys mount, devpts' gid option, the device rules, the namespaces
 * (network, or user with the mappings). */
static const char template[] =
    "{"
    "  \"ociVersion\": \"" PD_OCI_VERSION "\","
    "  \"process\": {"
    "    \"terminal\": true,"
    "    \"user\": {\"uid\": 0, \"gid\": 0},"
    "    \"args\": [\"sh\"],"
    "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],"
    "    \"cwd\": \"/\","
    "    \"capabilities\": {"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "      \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]"
    "    },"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
    "    \"noNewPrivileges\": true"
    "  },"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
    "  \"hostname\": \"pocket\","
    "  \"mounts\": ["
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
    "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
    "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\"%s]},"
    "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
    "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
    "    %s,"
    "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}"
    "  ],"
    "  \"linux\": {"
    "    %s"
    "    \"namespaces\": [{\"type\": \"pid\"}, %s{\"type\": \"ipc\"}, {\"type\": \"uts\"}, "
    "{\"type\": \"mount\"}%s],"
    "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
    "      \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\","
    "      \"/sys/firmware\", \"/proc/scsi\"],"
    "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
    "\"/proc/sysrq-trigger\"]"
    "  }"
    "}";

static void json_putp(json_t **j)
{
	if (*j)
		json_decref(*j);
}

int pd_oci_spec_default(bool rootless, char **json_out, struct pd_err **err)
{
	_cleanup_free_ char *doc = NULL;
	if (!rootless) {
		doc = xasprintf(template, ", \"gid=5\"",
				"{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
				" \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}",
				"\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},",
				"{\"type\": \"network\"}, ", "");
	} else {
		/* No devpts gid (group 5 is not mapped), /sys bound from the
		 * host (a user namespace without its own network namespace
		 * may not mount sysfs), no device rules (no cgroup to hold
		 * them), root mapped to the caller, the host's network. */
		_cleanup_free_ char *maps =
		    xasprintf("\"uidMappings\": [{\"containerID\": 0, \"hostID\": %u, \"size\": 1}],"
			      "\"gidMappings\": [{\"containerID\": 0, \"hostID\": %u, \"size\": 1}],",
			      (unsigned)geteuid(), (unsigned)getegid());
		doc = xasprintf(template, "",
				"{\"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\","
				" \"options\": [\"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\"]}",
				maps, "", ", {\"type\": \"user\"}");
	}
	json_error_t je;
	_cleanup_(json_putp) json_t *j = json_loads(doc, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return pd_fail(err, 0, "the default config is not valid JSON: %s", je.text);
	char *text = json_dumps(j, JSON_INDENT(2));
	if (!text)
		return pd_fail(err, 0, "cannot write the default config");
	*json_out = xasprintf("%s\n", text);
	free(text);
	return 0;
}
