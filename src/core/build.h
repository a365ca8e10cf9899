/* `build`: an image from a Dockerfile and a context directory.  Each call
 * opens and closes the state store itself; progress goes to a callback,
 * and a RUN step's output to fds 1 and 2 (as `run` attaches). */
#pragma once
#include <stdbool.h>

#include "util/error.h"

struct pd_build_opts {
	const char *context;	 /* the context directory */
	const char *dockerfile;	 /* -f: a path; NULL: CONTEXT/Dockerfile */
	char *const *tags;	 /* -t "NAME[:TAG]", NULL-terminated; may be NULL */
	char *const *build_args; /* --build-arg "K=V" (or "K": from our environment); may be NULL */
	char *const *labels;	 /* --label "K=V"; may be NULL */
	const char *target;	 /* --target: the stage to build; NULL: the last */
	const char *network;	 /* --network none|host|bridge; NULL: bridge */
	bool no_cache;		 /* no cache lookups (results are still stored) */
	bool pull;		 /* pull every FROM image, even one here */
	/* Called with each progress line ("STEP 2/5: RUN make", " ---> Using
	 * cache", ...), without its newline.  May print; must not fail. */
	void (*progress)(const char *line, void *data);
	void *progress_data;
};

/* Build the image the Dockerfile's target stage makes, tag it with each
 * of o->tags, and put its id ("sha256:...") in *id_out (caller frees).
 * Every step's result is recorded as an image without a name and keyed in
 * the layer cache (<root>/build-cache/<key>), as Docker's builder keeps
 * its intermediate images.  A failing step (a RUN's non-zero exit among
 * them: PD_ERR_RUNTIME naming the code) leaves no container, mount or
 * temporary file behind, and no image for that step.  Bad input (a
 * Dockerfile that does not parse, a COPY source outside the context, an
 * unknown stage): PD_ERR_USAGE. */
int pd_build(const char *root, const struct pd_build_opts *o, char **id_out, struct pd_err **err);
