/*
 * state.c: load and save the agent's state file, a tab-separated text file
 * (one record a line) so that a person can read it and a damaged line can
 * be told apart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "records.h"
#include "state.h"

#define STATE_MAGIC "uccx-trust-state\t1"
#define LAST_MAGIC "uccx-trust-last-run\t1"
#define STATE_MAX (4u << 20)

/* 1 when list is empty or a comma-separated list of host:port. */
static int hostports_ok(const char *list)
{
	char *copy = uct_strdup(list), *item, *next;
	int ok = copy != NULL;

	for (item = copy; ok && item != NULL && *item != '\0'; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		ok = uct_rec_hostport_ok(item);
	}
	free(copy);
	return ok;
}

static int load_last_line(struct uct_state *st, char **f)
{
	int64_t v;

	/* One outcome per file: a second one is not ours. */
	if (st->last_command != NULL || uct_rec_parse_i64(f[1], &st->last_run) < 0 ||
	    uct_rec_parse_i64(f[2], &v) < 0 || v < 0 || v > 255 || !uct_text_is_safe(f[3]) ||
	    !uct_text_is_safe(f[4]))
		return -1;
	st->last_exit = (int)v;
	st->last_command = uct_strdup(f[3]);
	st->last_summary = uct_strdup(f[4]);
	return st->last_command != NULL && st->last_summary != NULL ? 0 : -1;
}

/*
 * A seen record decides trust on the next run, so it is read strictly: one
 * per host:port (a second one could only have been forged into the file),
 * an exact fingerprint, and names that are the escaped text the writer
 * puts there.
 */
static int load_seen_line(struct uct_state *st, char **f)
{
	unsigned char fp[UCT_SHA256_LEN];
	struct uct_seen *seen;

	if (!uct_rec_hostport_ok(f[1]) || uct_state_find_seen(st, f[1]) != NULL ||
	    uct_rec_parse_sha256(f[2], fp) < 0 || !uct_text_is_safe(f[5]))
		return -1;
	seen = realloc(st->seen, (st->n_seen + 1) * sizeof(*seen));
	if (seen == NULL)
		return -1;
	st->seen = seen;
	seen = &st->seen[st->n_seen];
	memset(seen, 0, sizeof(*seen));
	memcpy(seen->sha256, fp, sizeof(fp));
	if (uct_rec_parse_i64(f[3], &seen->not_after) < 0 ||
	    uct_rec_parse_i64(f[4], &seen->first_seen) < 0)
		return -1;
	seen->hostport = uct_strdup(f[1]);
	seen->names = uct_strdup(f[5]);
	st->n_seen++;
	return (seen->hostport && seen->names) ? 0 : -1;
}

static int load_installed_line(struct uct_state *st, char **f)
{
	unsigned char fp[UCT_SHA256_LEN];
	enum uct_trust trust;

	if (*f[1] == '\0' || !uct_rec_field_ok(f[1]) || uct_rec_parse_sha256(f[2], fp) < 0 ||
	    uct_rec_parse_trust(f[3], &trust) < 0 || !hostports_ok(f[4]) ||
	    uct_state_find_installed(st, f[1], fp) != NULL ||
	    (f[5] != NULL && strcmp(f[5], "collector") != 0))
		return -1;
	if (uct_state_add_installed(st, f[1], fp, trust, f[4]) < 0)
		return -1;
	uct_state_find_installed(st, f[1], fp)->collector = f[5] != NULL;
	return 0;
}

/* One line; -1 when it is not a well-formed record. One field more than
 * any record has is split off, so that a surplus field is seen. */
static int load_line(struct uct_state *st, char *line)
{
	char *f[7];
	size_t n = uct_rec_split(line, f, 7), i;

	for (i = 0; i < n; i++)
		if (!uct_rec_field_ok(f[i]))
			return -1;
	if (strcmp(f[0], "last") == 0 && n == 5)
		return load_last_line(st, f);
	if (strcmp(f[0], "seen") == 0 && n == 6)
		return load_seen_line(st, f);
	/* An installed record ends with "collector" when the collector's
	 * document approved it. */
	if (strcmp(f[0], "installed") == 0 && (n == 5 || n == 6)) {
		if (n == 5)
			f[5] = NULL;
		return load_installed_line(st, f);
	}
	return -1;
}

/*
 * Every text field is escaped: names come from a server (uct_rec_clean),
 * store ids from paths a profiles.ini named (uct_rec_path: only controls,
 * so that a path that is not UTF-8 reads back the same). A tab or line
 * break in one of them must never end the field and start a record of the
 * attacker's choosing. A record line is its kind, the first field, the
 * certificate's SHA-256 in hex, the middle (made here, never from outside)
 * and the last field; record_line takes first and last, and each line
 * builder returns NULL when out of memory.
 */
static char *record_line(const char *kind, char *first, const unsigned char *sha256,
			 const char *middle, char *last)
{
	char hex[UCT_SHA256_LEN * 2 + 1];
	char *line = NULL;

	uct_rec_hex(sha256, UCT_SHA256_LEN, hex);
	if (first != NULL && last != NULL)
		line = uct_asprintf("%s\t%s\t%s\t%s\t%s\n", kind, first, hex, middle, last);
	free(first);
	free(last);
	return line;
}

static char *seen_line(const struct uct_seen *seen)
{
	char times[48];

	snprintf(times, sizeof(times), "%" PRId64 "\t%" PRId64, seen->not_after, seen->first_seen);
	return record_line("seen", uct_rec_clean(seen->hostport), seen->sha256, times,
			   uct_rec_clean(seen->names));
}

static char *installed_line(const struct uct_installed *in)
{
	char *line = record_line("installed", uct_rec_path(in->store_id), in->sha256,
				 uct_trust_name(in->trust), uct_rec_clean(in->hostports));
	char *marked;

	if (line == NULL || !in->collector)
		return line;
	/* The line ends with its newline: the mark goes before it. */
	line[strlen(line) - 1] = '\0';
	marked = uct_asprintf("%s\tcollector\n", line);
	free(line);
	return marked;
}

/* Append line (taken: freed here); -1 when it is NULL or memory runs out. */
static int append_line(char **buf, size_t *len, size_t *cap, char *line)
{
	int rc = line != NULL ? uct_rec_append(buf, len, cap, line) : -1;

	free(line);
	return rc;
}

/* The record lines (seen, installed) as the state file holds them. NULL
 * when out of memory. */
static char *records_text(const struct uct_state *st)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, i;

	if (uct_rec_append(&buf, &len, &cap, "") < 0)
		return NULL;
	for (i = 0; i < st->n_seen; i++)
		if (append_line(&buf, &len, &cap, seen_line(&st->seen[i])) < 0)
			goto nomem;
	for (i = 0; i < st->n_installed; i++)
		if (append_line(&buf, &len, &cap, installed_line(&st->installed[i])) < 0)
			goto nomem;
	return buf;
nomem:
	free(buf);
	return NULL;
}

/* The "last" line: when the last run was, how it ended. */
static char *last_line(const struct uct_state *st)
{
	char *cmd = uct_rec_clean(st->last_command), *sum = uct_rec_clean(st->last_summary);
	char *line = NULL;

	if (cmd != NULL && sum != NULL)
		line = uct_asprintf("last\t%" PRId64 "\t%d\t%s\t%s\n", st->last_run, st->last_exit,
				    cmd, sum);
	free(cmd);
	free(sum);
	return line;
}

/* Read the lines of text (magic first) into st; -1 on the first bad line. */
static int parse_text(struct uct_state *st, char *text, size_t len, const char *magic)
{
	char *line, *next;
	int lineno = 0;

	/* A NUL inside the text is damage (a torn write, a wrong file). */
	if (len == 0 || memchr(text, '\0', len) != NULL)
		return -1;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (++lineno == 1) {
			if (strcmp(line, magic) != 0)
				return -1;
			continue;
		}
		if (*line != '#' && *line != '\0' && load_line(st, line) < 0)
			return -1;
	}
	return 0;
}

/* The outcome of the latest run, from PATH.last, when it is newer than
 * what the state file says. That file is a convenience: damage is ignored. */
static void load_last(const char *path, struct uct_state *st)
{
	struct uct_state last = {0};
	struct uct_err rerr = {0};
	char *file = uct_asprintf("%s.last", path), *text = NULL;
	size_t len;

	if (file == NULL || uct_file_read(file, STATE_MAX, &text, &len, &rerr) < 0)
		goto out;
	if (parse_text(&last, text, len, LAST_MAGIC) < 0 || last.n_seen > 0 ||
	    last.n_installed > 0) {
		uct_log(UCT_LOG_INFO, "%s is damaged: the last run's outcome is not known", file);
		goto out;
	}
	if (last.last_command != NULL && last.last_run >= st->last_run) {
		free(st->last_command);
		free(st->last_summary);
		st->last_run = last.last_run;
		st->last_exit = last.last_exit;
		st->last_command = last.last_command;
		st->last_summary = last.last_summary;
		last.last_command = last.last_summary = NULL;
	}
out:
	uct_state_free(&last);
	free(text);
	free(file);
}

int uct_state_load(const char *path, struct uct_state *st, int *damaged, struct uct_err *err)
{
	char *text = NULL, *aside = NULL;
	size_t len;
	struct uct_err rerr = {0};
	int bad;

	memset(st, 0, sizeof(*st));
	*damaged = 0;
	if (uct_file_read(path, STATE_MAX, &text, &len, &rerr) < 0) {
		if (rerr.native != ENOENT)
			return uct_err_set(err, rerr.code, rerr.native, "%s", rerr.msg);
		load_last(path, st);
		return 0;
	}
	bad = parse_text(st, text, len, STATE_MAGIC) < 0;
	free(text);
	if (!bad) {
		/* What is on disk, so that a save can tell whether it must write. */
		st->saved_records = records_text(st);
		load_last(path, st);
		return 0;
	}
	/*
	 * A damaged state must not decide trust. Set it aside for the helpdesk
	 * and start afresh: the agent's own NSS objects are still recognised by
	 * their tag, so nothing it installed is orphaned.
	 */
	uct_state_free(st);
	*damaged = 1;
	aside = uct_asprintf("%s.damaged", path);
	if (aside == NULL || rename(path, aside) != 0)
		uct_log(UCT_LOG_WARN, "could not set aside damaged state file %s: %s", path,
			strerror(errno));
	free(aside);
	return 0;
}

/*
 * The records decide trust (what was approved, what is ours): when they
 * change they are written durably. A run that changed none of them (the
 * login run) only replaces PATH.last, with no wait for the disk: losing it
 * loses nothing but the time of that run.
 */
int uct_state_save(const char *path, struct uct_state *st, struct uct_err *err)
{
	char *records = records_text(st), *last = last_line(st), *buf = NULL, *file = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (records == NULL || last == NULL)
		goto nomem;
	if (st->saved_records != NULL && strcmp(records, st->saved_records) == 0) {
		struct uct_err lerr = {0};

		file = uct_asprintf("%s.last", path);
		if (file == NULL || uct_rec_append(&buf, &len, &cap, LAST_MAGIC "\n") < 0 ||
		    uct_rec_append(&buf, &len, &cap, last) < 0)
			goto nomem;
		/* Only the outcome is at stake (a full disk, say): not worth failing
		 * a run whose trust is settled. */
		if (uct_file_write_replace(file, buf, len, 0600, &lerr) < 0)
			uct_log(UCT_LOG_WARN, "the outcome of this run is not recorded: %s",
				lerr.msg);
		rc = 0;
		goto out;
	}
	if (uct_rec_append(&buf, &len, &cap,
			   STATE_MAGIC "\n# Written by uccx-trust; do not edit.\n") < 0 ||
	    uct_rec_append(&buf, &len, &cap, last) < 0 ||
	    uct_rec_append(&buf, &len, &cap, records) < 0)
		goto nomem;
	rc = uct_file_write_atomic(path, buf, len, 0600, err);
	if (rc == 0) {
		struct uct_err lerr = {0};

		/* The state now holds the newest outcome. An older PATH.last
		 * written in the same second would otherwise win the tie when
		 * loading (times are in seconds). */
		file = uct_asprintf("%s.last", path);
		if (file != NULL && uct_file_remove(file, &lerr) < 0)
			uct_log(UCT_LOG_WARN, "cannot remove %s: %s", file, lerr.msg);
		free(st->saved_records);
		st->saved_records = records;
		records = NULL;
	}
	goto out;
nomem:
	uct_err_set(err, UCT_E_NOMEM, ENOMEM, "out of memory writing the state file");
out:
	free(records);
	free(last);
	free(buf);
	free(file);
	return rc;
}

void uct_state_free(struct uct_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_seen; i++) {
		free(st->seen[i].hostport);
		free(st->seen[i].names);
	}
	for (i = 0; i < st->n_installed; i++) {
		free(st->installed[i].store_id);
		free(st->installed[i].hostports);
	}
	free(st->seen);
	free(st->installed);
	free(st->last_command);
	free(st->last_summary);
	free(st->saved_records);
	memset(st, 0, sizeof(*st));
}

struct uct_seen *uct_state_find_seen(const struct uct_state *st, const char *hostport)
{
	size_t i;

	for (i = 0; i < st->n_seen; i++)
		if (strcmp(st->seen[i].hostport, hostport) == 0)
			return &st->seen[i];
	return NULL;
}

struct uct_installed *uct_state_find_installed(const struct uct_state *st, const char *store_id,
					       const unsigned char sha256[UCT_SHA256_LEN])
{
	size_t i;

	for (i = 0; i < st->n_installed; i++)
		if (strcmp(st->installed[i].store_id, store_id) == 0 &&
		    memcmp(st->installed[i].sha256, sha256, UCT_SHA256_LEN) == 0)
			return &st->installed[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

char *uct_state_cert_names(const struct uct_cert *cert)
{
	char **sorted, *out = NULL;
	size_t i, len = 1;

	if (cert->san_dns.n == 0)
		return uct_strdup(cert->subject_cn != NULL ? cert->subject_cn : "");
	sorted = malloc(cert->san_dns.n * sizeof(*sorted));
	if (sorted == NULL)
		return NULL;
	for (i = 0; i < cert->san_dns.n; i++) {
		sorted[i] = cert->san_dns.v[i];
		len += strlen(sorted[i]) + 1;
	}
	qsort(sorted, cert->san_dns.n, sizeof(*sorted), cmp_str);
	out = malloc(len);
	if (out != NULL) {
		out[0] = '\0';
		for (i = 0; i < cert->san_dns.n; i++) {
			if (i > 0)
				strcat(out, ",");
			strcat(out, sorted[i]);
		}
	}
	free(sorted);
	return out;
}

int uct_state_set_seen(struct uct_state *st, const char *hostport, const struct uct_cert *leaf,
		       int64_t now)
{
	struct uct_seen *seen = uct_state_find_seen(st, hostport), *grown;
	char *names = uct_state_cert_names(leaf);

	if (names == NULL)
		return -1;
	if (seen == NULL) {
		grown = realloc(st->seen, (st->n_seen + 1) * sizeof(*grown));
		if (grown == NULL) {
			free(names);
			return -1;
		}
		st->seen = grown;
		seen = &st->seen[st->n_seen];
		memset(seen, 0, sizeof(*seen));
		seen->hostport = uct_strdup(hostport);
		if (seen->hostport == NULL) {
			free(names);
			return -1;
		}
		seen->first_seen = now;
		st->n_seen++;
	} else if (memcmp(seen->sha256, leaf->sha256, UCT_SHA256_LEN) != 0) {
		seen->first_seen = now;
	}
	free(seen->names);
	seen->names = names;
	memcpy(seen->sha256, leaf->sha256, UCT_SHA256_LEN);
	seen->not_after = leaf->not_after;
	return 0;
}

int uct_state_add_installed(struct uct_state *st, const char *store_id,
			    const unsigned char sha256[UCT_SHA256_LEN], enum uct_trust trust,
			    const char *hostport)
{
	struct uct_installed *rec = uct_state_find_installed(st, store_id, sha256), *grown;
	char *merged;

	if (rec != NULL) {
		rec->trust = trust;
		rec->collector |= st->mark_collector;
		if (hostport == NULL || *hostport == '\0' ||
		    uct_rec_list_has(rec->hostports, hostport, 0))
			return 0;
		merged = *rec->hostports != '\0' ? uct_asprintf("%s,%s", rec->hostports, hostport)
						 : uct_strdup(hostport);
		if (merged == NULL)
			return -1;
		free(rec->hostports);
		rec->hostports = merged;
		return 0;
	}
	grown = realloc(st->installed, (st->n_installed + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	st->installed = grown;
	rec = &st->installed[st->n_installed];
	rec->store_id = uct_strdup(store_id);
	rec->hostports = uct_strdup(hostport != NULL ? hostport : "");
	memcpy(rec->sha256, sha256, UCT_SHA256_LEN);
	rec->trust = trust;
	rec->collector = st->mark_collector;
	if (rec->store_id == NULL || rec->hostports == NULL) {
		free(rec->store_id);
		free(rec->hostports);
		return -1;
	}
	st->n_installed++;
	return 0;
}

void uct_state_drop_installed(struct uct_state *st, const char *store_id,
			      const unsigned char sha256[UCT_SHA256_LEN])
{
	struct uct_installed *rec = uct_state_find_installed(st, store_id, sha256);
	size_t idx;

	if (rec == NULL)
		return;
	idx = (size_t)(rec - st->installed);
	free(rec->store_id);
	free(rec->hostports);
	memmove(&st->installed[idx], &st->installed[idx + 1],
		(st->n_installed - idx - 1) * sizeof(*rec));
	st->n_installed--;
}
