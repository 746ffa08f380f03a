/*
 * probe_db.c: what the collector's probe saw, stored over the backends'
 * admin connection (db_backend.h) so that SQLite and PostgreSQL keep it
 * alike, and the approvals that auto_approve = probe makes and takes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_backend.h"

/* The actor of everything the probe does, in approvals and the audit log. */
#define PROBE_ACTOR "probe"

static int pdb_take_int(void *arg, int ncols, const char *const *cols)
{
	*(int64_t *)arg = ncols > 0 && cols[0] != NULL ? strtoll(cols[0], NULL, 10) : 0;
	return 0;
}

/* Ids of rows, appended to a growable array. */
struct pdb_ids {
	int64_t v[64];
	size_t n;
};

static int pdb_take_id(void *arg, int ncols, const char *const *cols)
{
	struct pdb_ids *ids = arg;

	/* An endpoint holds a handful of the probe's approvals; more is a bug. */
	if (ncols < 1 || cols[0] == NULL || ids->n == sizeof(ids->v) / sizeof(ids->v[0]))
		return -1;
	ids->v[ids->n++] = strtoll(cols[0], NULL, 10);
	return 0;
}

static int pdb_record_urls(struct col_db *db, const struct col_probe_sight *s, int64_t now,
			   struct col_err *err)
{
	size_t i;

	for (i = 0; i < s->n_urls; i++) {
		struct col_db_value v[] = {COL_DB_TEXT(s->urls[i]), COL_DB_TEXT(s->sha256),
					   COL_DB_TEXT(s->host), COL_DB_INT(s->port),
					   COL_DB_INT(now)};
		if (db->ops->adm_query(
			    db,
			    "INSERT INTO probe_seen (url, sha256, host, port, first_seen,"
			    " last_seen) VALUES ($1, $2, $3, $4, $5, $5)"
			    " ON CONFLICT (url, sha256) DO UPDATE SET last_seen = $5",
			    v, 5, NULL, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * 1 in *covered when an active approval covers the leaf at host:port: the
 * leaf for that endpoint or for the host, or a CA certificate of the chain
 * the server sent, approved for that host.
 */
static int pdb_covered(struct col_db *db, const struct col_probe_sight *s, int64_t *covered,
		       struct col_err *err)
{
	struct col_db_value v[] = {COL_DB_TEXT(s->sha256), COL_DB_TEXT(s->host),
				   COL_DB_INT(s->port)};
	char pattern[COL_HOST_MAX + 8];
	size_t i;

	*covered = 0;
	if (db->ops->adm_query(db,
			       "SELECT COUNT(*) FROM approvals WHERE revoked_at IS NULL"
			       " AND sha256 = $1 AND host = $2"
			       " AND (kind = 'host' OR (kind = 'endpoint' AND port = $3))",
			       v, 3, pdb_take_int, covered, err) < 0)
		return -1;
	/* hosts is a compact JSON array of names that need no escaping. */
	snprintf(pattern, sizeof(pattern), "%%\"%s\"%%", s->host);
	for (i = 1; i < s->n_chain && *covered == 0; i++) {
		struct col_db_value c[] = {COL_DB_TEXT(s->chain_sha256[i]), COL_DB_TEXT(pattern)};
		if (db->ops->adm_query(db,
				       "SELECT COUNT(*) FROM approvals WHERE revoked_at IS NULL"
				       " AND kind = 'ca' AND sha256 = $1 AND hosts LIKE $2",
				       c, 2, pdb_take_int, covered, err) < 0)
			return -1;
	}
	return 0;
}

/* Approves the leaf for host:port as the probe, audited "auto-approve". */
static int pdb_approve(struct col_db *db, const struct col_probe_sight *s, int64_t now, int64_t *id,
		       struct col_err *err)
{
	char note[COL_HOST_MAX + 64];

	snprintf(note, sizeof(note), "seen by the collector's probe at %s:%u", s->host, s->port);
	{
		struct col_db_value v[] = {COL_DB_TEXT(s->host),     COL_DB_INT(s->port),
					   COL_DB_TEXT(s->sha256),   COL_DB_TEXT(note),
					   COL_DB_TEXT(PROBE_ACTOR), COL_DB_INT(now)};
		if (db->ops->adm_query(db,
				       "INSERT INTO approvals (kind, host, port, sha256, note,"
				       " approved_by, approved_at) VALUES ('endpoint', $1, $2, $3,"
				       " $4, $5, $6) RETURNING id",
				       v, 6, pdb_take_int, id, err) < 0)
			return -1;
	}
	{
		struct col_db_value v[] = {COL_DB_INT(*id), COL_DB_TEXT(s->host),
					   COL_DB_INT(s->port)};
		if (db->ops->adm_query(db,
				       "INSERT INTO probe_approvals (approval_id, host, port)"
				       " VALUES ($1, $2, $3)",
				       v, 3, NULL, NULL, err) < 0)
			return -1;
	}
	return col_db_audit_append(db, "auto-approve", *id, PROBE_ACTOR, now, err);
}

/* Revokes the probe's own approvals for host:port of another leaf, each audited. */
static int pdb_revoke_stale(struct col_db *db, const struct col_probe_sight *s, int64_t now,
			    size_t *revoked, struct col_err *err)
{
	struct col_db_value v[] = {COL_DB_INT(now), COL_DB_TEXT(PROBE_ACTOR),
				   COL_DB_TEXT(s->sha256), COL_DB_TEXT(s->host),
				   COL_DB_INT(s->port)};
	struct pdb_ids ids = {.n = 0};
	size_t i;

	if (db->ops->adm_query(db,
			       "UPDATE approvals SET revoked_at = $1, revoked_by = $2"
			       " WHERE revoked_at IS NULL AND sha256 <> $3 AND id IN"
			       " (SELECT approval_id FROM probe_approvals WHERE host = $4"
			       " AND port = $5) RETURNING id",
			       v, 5, pdb_take_id, &ids, err) < 0)
		return -1;
	for (i = 0; i < ids.n; i++)
		if (col_db_audit_append(db, "revoke", ids.v[i], PROBE_ACTOR, now, err) < 0)
			return -1;
	*revoked = ids.n;
	return 0;
}

int col_db_probe_record(struct col_db *db, const struct col_probe_sight *s,
			enum col_auto_approve policy, int64_t now, struct col_probe_change *change,
			struct col_err *err)
{
	int64_t covered = 0;

	memset(change, 0, sizeof(*change));
	if (db->ops->adm_begin(db, 1, err) < 0)
		return -1;
	if (pdb_record_urls(db, s, now, err) < 0)
		goto err;
	if (policy == COL_AUTO_PROBE) {
		/*
		 * Collectors sharing one PostgreSQL database each run a probe:
		 * the row lock of the serial makes their decisions one after
		 * the other, so the second sees the first's approval and adds
		 * none (SQLite's write transaction is already exclusive).
		 */
		if (db->ops->adm_query(db, "UPDATE trust_serial SET serial = serial", NULL, 0, NULL,
				       NULL, err) < 0 ||
		    pdb_covered(db, s, &covered, err) < 0)
			goto err;
		if (covered == 0 && pdb_approve(db, s, now, &change->approved_id, err) < 0)
			goto err;
		if (pdb_revoke_stale(db, s, now, &change->revoked, err) < 0)
			goto err;
	}
	return db->ops->adm_end(db, 1, err);
err:
	db->ops->adm_end(db, 0, err);
	return -1;
}
