/* Image state: images, their names and layers (see store.h).  Part of the
 * store module, the only code that speaks SQL. */
#include "core/store-internal.h"

const char pd_store_migration_images[] =
	"CREATE TABLE images ("
	" id TEXT PRIMARY KEY,"
	" created_ns INTEGER NOT NULL,"
	" size INTEGER NOT NULL,"
	" config TEXT NOT NULL);"
	"CREATE TABLE image_names ("
	" repo TEXT NOT NULL,"
	" tag TEXT NOT NULL,"
	" image_id TEXT NOT NULL REFERENCES images(id),"
	" digest TEXT,"
	" PRIMARY KEY (repo, tag));"
	"CREATE TABLE layers ("
	" digest TEXT PRIMARY KEY,"
	" diff_id TEXT NOT NULL,"
	" size INTEGER NOT NULL);"
	"CREATE TABLE image_layers ("
	" image_id TEXT NOT NULL REFERENCES images(id),"
	" position INTEGER NOT NULL,"
	" layer TEXT NOT NULL REFERENCES layers(digest),"
	" PRIMARY KEY (image_id, position));";
