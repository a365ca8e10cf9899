/* The fixture the store's unit tests share (test_store.c, test_events.c):
 * a fresh state root per test under /tmp, from UNIT_ROOT_TEMPLATE (which
 * the includer defines), removed by the teardown whether the test passed
 * or not; and a store opened in it, or the test fails saying why. */
#pragma once
#include <stdlib.h>

#include "core/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int setup(void **state)
{
	char t[] = UNIT_ROOT_TEMPLATE;
	if (!mkdtemp(t))
		return -1;
	*state = xstrdup(t);
	return 0;
}

static int teardown(void **state)
{
	char *root = *state;
	int r = pd_rm_rf(root, NULL);
	free(root);
	return r;
}

static struct pd_store *open_store(const char *root)
{
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_store *s = pd_store_open(root, &err);
	if (!s)
		fail_msg("open the store in '%s': %s", root, err->msg);
	return s;
}
