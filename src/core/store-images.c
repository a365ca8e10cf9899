/* Image state: images, their names and layers (see store.h).  Part of the
 * store module, the only code that speaks SQL. */
#include "core/store-internal.h"
#include "core/store-images.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

const char pd_store_migration_images[] = "CREATE TABLE images ("
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

void pd_image_rec_clear(struct pd_image_rec *r)
{
	free(r->id);
	free(r->config);
	for (size_t k = 0; k < r->n_names; k++) {
		free(r->names[k].repo);
		free(r->names[k].tag);
		free(r->names[k].digest);
	}
	free(r->names);
	for (size_t k = 0; k < r->n_layers; k++) {
		free(r->layers[k].digest);
		free(r->layers[k].diff_id);
	}
	free(r->layers);
	*r = (struct pd_image_rec){ 0 };
}

void pd_image_recs_free(struct pd_image_rec *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pd_image_rec_clear(&v[i]);
	free(v);
}

static int step_done(struct pd_store *s, sqlite3_stmt *st, struct pd_err **err, const char *what)
{
	return sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, err, what);
}

static int add_rows(struct pd_store *s, const struct pd_image_rec *img, const char *repo, const char *tag,
		    const char *digest, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *im = NULL, *ly = NULL, *il = NULL, *nm = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT OR IGNORE INTO images (id, created_ns, size, config) VALUES (?,?,?,?)",
			       -1, &im, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO layers (digest, diff_id, size) VALUES (?,?,?)",
			       -1, &ly, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		s->db, "INSERT OR REPLACE INTO image_layers (image_id, position, layer) VALUES (?,?,?)", -1,
		&il, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		s->db, "INSERT OR REPLACE INTO image_names (repo, tag, image_id, digest) VALUES (?,?,?,?)",
		-1, &nm, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare image insert");
	sqlite3_bind_text(im, 1, img->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(im, 2, img->created_ns);
	sqlite3_bind_int64(im, 3, (sqlite3_int64)img->size);
	sqlite3_bind_text(im, 4, img->config, -1, SQLITE_STATIC);
	if (step_done(s, im, err, "record image") < 0)
		return -1;
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct pd_layer_rec *l = &img->layers[i];
		sqlite3_reset(ly);
		sqlite3_bind_text(ly, 1, l->digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(ly, 2, l->diff_id ? l->diff_id : l->digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ly, 3, (sqlite3_int64)l->size);
		if (step_done(s, ly, err, "record layer") < 0)
			return -1;
		sqlite3_reset(il);
		sqlite3_bind_text(il, 1, img->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(il, 2, (int)i);
		sqlite3_bind_text(il, 3, l->digest, -1, SQLITE_STATIC);
		if (step_done(s, il, err, "record image layer") < 0)
			return -1;
	}
	if (!repo)
		return 0;
	sqlite3_bind_text(nm, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(nm, 2, tag ? tag : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(nm, 3, img->id, -1, SQLITE_STATIC);
	if (digest)
		sqlite3_bind_text(nm, 4, digest, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(nm, 4);
	return step_done(s, nm, err, "record image name");
}

int pd_store_image_add(struct pd_store *s, const struct pd_image_rec *img, const char *repo, const char *tag,
		       const char *digest, struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	if (add_rows(s, img, repo, tag, digest, err) < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static struct pd_image_rec *find_rec(struct pd_image_rec *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return &v[i];
	return NULL;
}

int pd_store_image_list(struct pd_store *s, struct pd_image_rec **out, size_t *n, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *im = NULL, *nm = NULL, *ly = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT id, created_ns, size, config FROM images ORDER BY created_ns DESC, id",
			       -1, &im, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "SELECT image_id, repo, tag, digest FROM image_names ORDER BY repo, tag", -1,
			       &nm, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "SELECT il.image_id, l.digest, l.diff_id, l.size FROM image_layers il"
			       " JOIN layers l ON l.digest = il.layer ORDER BY il.image_id, il.position",
			       -1, &ly, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare image list");
	struct pd_image_rec *v = NULL;
	size_t cnt = 0;
	int rc;
	while ((rc = sqlite3_step(im)) == SQLITE_ROW) {
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt] = (struct pd_image_rec){
			.id = col_dup(im, 0),
			.created_ns = sqlite3_column_int64(im, 1),
			.size = (uint64_t)sqlite3_column_int64(im, 2),
			.config = col_dup(im, 3),
		};
		cnt++;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	while ((rc = sqlite3_step(nm)) == SQLITE_ROW) {
		struct pd_image_rec *r = find_rec(v, cnt, (const char *)sqlite3_column_text(nm, 0));
		if (!r)
			continue;
		r->names = xrealloc(r->names, (r->n_names + 1) * sizeof(*r->names));
		r->names[r->n_names++] =
		    (struct pd_image_name){ col_dup(nm, 1), col_dup(nm, 2), col_dup(nm, 3) };
	}
	if (rc != SQLITE_DONE)
		goto fail;
	while ((rc = sqlite3_step(ly)) == SQLITE_ROW) {
		struct pd_image_rec *r = find_rec(v, cnt, (const char *)sqlite3_column_text(ly, 0));
		if (!r)
			continue;
		r->layers = xrealloc(r->layers, (r->n_layers + 1) * sizeof(*r->layers));
		r->layers[r->n_layers++] = (struct pd_layer_rec){ col_dup(ly, 1), col_dup(ly, 2),
								  (uint64_t)sqlite3_column_int64(ly, 3) };
	}
	if (rc != SQLITE_DONE)
		goto fail;
	*out = v;
	*n = cnt;
	return 0;
fail:
	pd_image_recs_free(v, cnt);
	return store_fail(s, err, "list images");
}

int pd_store_image_untag(struct pd_store *s, const char *repo, const char *tag, struct pd_err **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM image_names WHERE repo = ? AND tag = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, err, "prepare untag");
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tag ? tag : "", -1, SQLITE_STATIC);
	return step_done(s, st, err, "remove image name");
}

static int delete_rows(struct pd_store *s, const char *id, char ***unused, struct pd_err **err)
{
	static const char *const sql[] = {
		"DELETE FROM image_names WHERE image_id = ?1",
		"DELETE FROM image_layers WHERE image_id = ?1",
		"DELETE FROM images WHERE id = ?1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return store_fail(s, err, "prepare image delete");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (step_done(s, st, err, "delete image") < 0)
			return -1;
	}
	_cleanup_stmt_ sqlite3_stmt *q = NULL, *del = NULL;
	if (sqlite3_prepare_v2(
		s->db, "SELECT digest FROM layers WHERE digest NOT IN (SELECT layer FROM image_layers)", -1,
		&q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "DELETE FROM layers WHERE digest NOT IN (SELECT layer FROM image_layers)", -1,
			       &del, NULL) != SQLITE_OK)
		return store_fail(s, err, "prepare layer cleanup");
	char **v = xcalloc(1, sizeof(char *));
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		strv_push(&v, (const char *)sqlite3_column_text(q, 0));
	if (rc != SQLITE_DONE || step_done(s, del, err, "delete layers") < 0) {
		strv_free(v);
		return rc != SQLITE_DONE ? store_fail(s, err, "list unused layers") : -1;
	}
	*unused = v;
	return 0;
}

int pd_store_image_delete(struct pd_store *s, const char *id, char ***unused, struct pd_err **err)
{
	*unused = NULL;
	if (store_begin(s, err) < 0)
		return -1;
	if (delete_rows(s, id, unused, err) < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}
