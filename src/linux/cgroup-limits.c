/* What a struct pd_limits owns, apart from the cgroup code that applies
 * it: the config's codec frees limits without linking the back ends. */
#include "linux/cgroup.h"

#include <stdlib.h>

void pd_limits_free(struct pd_limits *l)
{
	if (!l)
		return;
	free(l->cpuset_cpus);
	free(l->cpuset_mems);
	free(l->blkio_devs);
	for (size_t i = 0; i < l->n_hugepages; i++)
		free(l->hugepages[i].size);
	free(l->hugepages);
	for (size_t i = 0; i < l->n_unified; i++) {
		free(l->unified[i].key);
		free(l->unified[i].value);
	}
	free(l->unified);
	*l = (struct pd_limits){ 0 };
}
