/*
 * test_discover.c: store discovery on temporary homes laid out as Chromium,
 * the Chromium snap and Firefox (deb, snap, Flatpak, XDG) leave them, with
 * real NSS databases made by certutil.
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "platform.h"

static char home[256];

static void setup(void)
{
	snprintf(home, sizeof(home), "%s", uct_check_tmpdir());
	unsetenv("XDG_CONFIG_HOME");
}

/* mkdir -p for a path under home (given relative to it), returns the full path. */
static char *mkdirs(const char *rel)
{
	char *path = uct_asprintf("%s/%s", home, rel);

	for (char *p = path + strlen(home) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ck_assert_msg(mkdir(path, 0700) == 0 || errno == EEXIST, "%s", path);
		*p = '/';
	}
	ck_assert_msg(mkdir(path, 0700) == 0 || errno == EEXIST, "%s", path);
	return path;
}

/* Write text to home/rel, creating its directory. */
static void put(const char *rel, const char *text)
{
	char *dir = uct_strdup(rel), *slash = strrchr(dir, '/'), *path;
	FILE *f;

	if (slash != NULL) {
		*slash = '\0';
		free(mkdirs(dir));
	}
	path = uct_asprintf("%s/%s", home, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
	free(dir);
}

/* A real, empty NSS database in home/rel, as a browser would leave it. */
static void nssdb(const char *rel)
{
	char *dir = mkdirs(rel);
	char *cmd = uct_asprintf("certutil -N -d sql:%s --empty-password >/dev/null 2>&1", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

struct found {
	struct uct_store **v;
	size_t n;
};

static struct found discover(const struct uct_discover_opts *opts)
{
	struct found f;
	struct uct_err err = {0};

	ck_assert_msg(uct_stores_discover(opts, &f.v, &f.n, &err) == 0, "%s", err.msg);
	return f;
}

/* The store whose id is "<kind>:<home>/<rel>", or NULL. */
static struct uct_store *find(const struct found *f, const char *kind, const char *rel)
{
	char *id = uct_asprintf("%s:%s/%s", kind, home, rel);
	struct uct_store *hit = NULL;

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i]->id, id) == 0)
			hit = f->v[i];
	free(id);
	return hit;
}

/* Both stores of a Firefox profile at home/rel, in group. */
static void assert_profile(const struct found *f, const char *rel, const char *group, int has_nss)
{
	struct uct_store *nss = find(f, "nss", rel), *ovr = find(f, "ff-override", rel);
	char *path = uct_asprintf("%s/%s/cert_override.txt", home, rel);

	ck_assert_msg(ovr != NULL, "no override store for %s", rel);
	ck_assert_str_eq(ovr->ops->name, "ff-override");
	ck_assert_str_eq(ovr->path, path);
	ck_assert_str_eq(ovr->group, group);
	ck_assert_int_eq(ovr->browser, UCT_BROWSER_FIREFOX);
	if (has_nss) {
		ck_assert_msg(nss != NULL, "no NSS store for %s", rel);
		ck_assert_str_eq(nss->group, group);
		ck_assert_int_eq(nss->browser, UCT_BROWSER_FIREFOX);
		ck_assert_int_eq(nss->created, 0);
	} else {
		ck_assert_ptr_null(nss);
	}
	free(path);
}

START_TEST(test_empty_home)
{
	struct uct_discover_opts opts = {.home = home};
	struct found f = discover(&opts);
	struct uct_store *s;

	ck_assert_uint_eq(f.n, 0);
	uct_stores_free(f.v, f.n);

	/* Chromium creates its database at first start; the agent may too. */
	opts.create_chromium_db = 1;
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 1);
	s = find(&f, "nss", ".pki/nssdb");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->group, "chromium");
	ck_assert_int_eq(s->browser, UCT_BROWSER_CHROMIUM);
	ck_assert_int_eq(s->created, 1);
	uct_stores_free(f.v, f.n);
}
END_TEST

/* A home that belongs to someone else is refused: files created there by
 * this process would not be that user's. */
START_TEST(test_foreign_home_refused)
{
	struct uct_discover_opts opts = {.home = home, .create_chromium_db = 1};
	struct uct_store **stores = NULL;
	struct uct_err err = {0};
	size_t n = 0;
	uid_t other = geteuid() == 65534 ? 65533 : 65534;

	if (geteuid() != 0) {
		/* Only root can give a directory away; nothing to test. */
		return;
	}
	ck_assert_int_eq(chown(home, other, (gid_t)-1), 0);
	ck_assert_int_eq(uct_stores_discover(&opts, &stores, &n, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_USAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "belongs to another user"));
	ck_assert_ptr_null(stores);
	ck_assert_int_eq(chown(home, 0, (gid_t)-1), 0);
}
END_TEST

START_TEST(test_chromium_and_snap)
{
	struct uct_discover_opts opts = {.home = home};
	struct found f;
	struct uct_store *s;
	char *link;

	nssdb(".pki/nssdb");
	nssdb("snap/chromium/2345/.pki/nssdb");
	link = uct_asprintf("%s/snap/chromium/current", home);
	ck_assert_int_eq(symlink("2345", link), 0);
	free(link);
	/* HOME is used when opts->home is not given. */
	setenv("HOME", home, 1);
	opts.home = NULL;
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	s = find(&f, "nss", ".pki/nssdb");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->created, 0);
	ck_assert_str_eq(s->group, "chromium");
	/* The id keeps "current" so a snap refresh does not change it. */
	s = find(&f, "nss", "snap/chromium/current/.pki/nssdb");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->group, "chromium-snap");
	ck_assert_int_eq(s->browser, UCT_BROWSER_CHROMIUM);
	uct_stores_free(f.v, f.n);
}
END_TEST

START_TEST(test_firefox_profiles_ini)
{
	struct uct_discover_opts opts = {.home = home};
	struct found f;
	char *ini;

	nssdb(".mozilla/firefox/abc.default-release");
	nssdb(".mozilla/firefox/xyz.default");
	nssdb("elsewhere/work-profile");
	put(".mozilla/firefox/old.legacy/cert8.db", "");
	free(mkdirs(".mozilla/firefox/fresh.new"));
	ini = uct_asprintf(
		"[Install4F96D1932A9F858E]\nDefault=abc.default-release\nLocked=1\n\n"
		"[Profile1]\nName=default\nIsRelative=1\nPath=xyz.default\nDefault=1\n\n"
		"[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\n\n"
		"[Profile2]\nName=work\nIsRelative=0\nPath=%s/elsewhere/work-profile\n\n"
		"[Profile3]\nName=gone\nIsRelative=1\nPath=missing.gone\n\n"
		"[Profile4]\nName=old\nIsRelative=1\nPath=old.legacy\n\n"
		"[Profile5]\nName=fresh\nIsRelative=1\nPath=fresh.new\n\n"
		"[General]\nStartWithLastProfile=1\nVersion=2\n",
		home);
	put(".mozilla/firefox/profiles.ini", ini);
	free(ini);
	f = discover(&opts);
	/* Three profiles with cert9.db (two stores each), one never started
	 * (override only); the missing and the cert8-only ones are skipped. */
	ck_assert_uint_eq(f.n, 7);
	assert_profile(&f, ".mozilla/firefox/xyz.default", "firefox:default", 1);
	assert_profile(&f, ".mozilla/firefox/abc.default-release", "firefox:default-release", 1);
	assert_profile(&f, "elsewhere/work-profile", "firefox:work", 1);
	assert_profile(&f, ".mozilla/firefox/fresh.new", "firefox:fresh", 0);
	ck_assert_ptr_null(find(&f, "ff-override", ".mozilla/firefox/old.legacy"));
	/* Profiles in the order profiles.ini lists them, NSS before override. */
	ck_assert_str_eq(f.v[0]->group, "firefox:default");
	ck_assert_str_eq(f.v[0]->ops->name, "nss");
	ck_assert_str_eq(f.v[1]->ops->name, "ff-override");
	uct_stores_free(f.v, f.n);
}
END_TEST

START_TEST(test_xdg_config_home)
{
	struct uct_discover_opts opts = {.home = home};
	struct found f;
	char *xdg = uct_asprintf("%s/cfg", home);

	nssdb(".config/mozilla/firefox/p1.default-release");
	put(".config/mozilla/firefox/profiles.ini",
	    "[Profile0]\nName=default-release\nIsRelative=1\nPath=p1.default-release\n");
	nssdb("cfg/mozilla/firefox/p2.x");
	put("cfg/mozilla/firefox/profiles.ini", "[Profile0]\nName=x\nIsRelative=1\nPath=p2.x\n");

	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	assert_profile(&f, ".config/mozilla/firefox/p1.default-release", "firefox:default-release",
		       1);
	uct_stores_free(f.v, f.n);

	setenv("XDG_CONFIG_HOME", xdg, 1);
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	assert_profile(&f, "cfg/mozilla/firefox/p2.x", "firefox:x", 1);
	uct_stores_free(f.v, f.n);
	free(xdg);
}
END_TEST

START_TEST(test_snap_and_flatpak_same_profile_name)
{
	struct uct_discover_opts opts = {.home = home};
	struct found f;
	const char *ini =
		"[Profile0]\nName=default-release\nIsRelative=1\nPath=q.default-release\n";

	nssdb("snap/firefox/common/.mozilla/firefox/q.default-release");
	put("snap/firefox/common/.mozilla/firefox/profiles.ini", ini);
	nssdb(".var/app/org.mozilla.firefox/.mozilla/firefox/q.default-release");
	put(".var/app/org.mozilla.firefox/.mozilla/firefox/profiles.ini", ini);
	/* Without IsRelative the path's form decides. */
	nssdb(".mozilla/firefox/r.plain");
	put(".mozilla/firefox/profiles.ini", "[Profile0]\nPath=r.plain\n");

	f = discover(&opts);
	ck_assert_uint_eq(f.n, 6);
	/* Unnamed: the directory name. */
	assert_profile(&f, ".mozilla/firefox/r.plain", "firefox:r.plain", 1);
	assert_profile(&f, "snap/firefox/common/.mozilla/firefox/q.default-release",
		       "firefox:default-release", 1);
	/* Two distinct profiles never share a group. */
	assert_profile(&f, ".var/app/org.mozilla.firefox/.mozilla/firefox/q.default-release",
		       "firefox:q.default-release", 1);
	uct_stores_free(f.v, f.n);
}
END_TEST

START_TEST(test_same_directory_found_twice)
{
	struct uct_discover_opts opts = {.home = home};
	struct found f;
	char *link, *target, *ini;

	nssdb(".mozilla/firefox/abc.default");
	put(".mozilla/firefox/profiles.ini",
	    "[Profile0]\nName=default\nIsRelative=1\nPath=abc.default\n");
	/* The Flatpak's profiles.ini names it through a symlink. */
	link = uct_asprintf("%s/alias", home);
	target = uct_asprintf("%s/.mozilla/firefox/abc.default", home);
	ck_assert_int_eq(symlink(target, link), 0);
	ini = uct_asprintf("[Profile0]\nName=other\nIsRelative=0\nPath=%s\n", link);
	put(".var/app/org.mozilla.firefox/.mozilla/firefox/profiles.ini", ini);
	/* And the XDG root is the same directory as the classic one. */
	free(mkdirs(".config/mozilla"));
	free(link);
	link = uct_asprintf("%s/.config/mozilla/firefox", home);
	free(target);
	target = uct_asprintf("%s/.mozilla/firefox", home);
	ck_assert_int_eq(symlink(target, link), 0);

	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	assert_profile(&f, ".mozilla/firefox/abc.default", "firefox:default", 1);
	uct_stores_free(f.v, f.n);
	free(link);
	free(target);
	free(ini);
}
END_TEST

START_TEST(test_explicit_nss_dbs_only)
{
	struct uct_strv dbs = {0};
	struct uct_discover_opts opts = {.home = home, .nss_dbs = &dbs, .create_chromium_db = 1};
	struct found f;
	struct uct_store *s;
	char *d1 = uct_asprintf("%s/db1", home), *d2 = uct_asprintf("%s/db2", home);
	char *group = uct_asprintf("nssdb:%s", d1);

	nssdb(".pki/nssdb");
	nssdb(".mozilla/firefox/abc.default");
	put(".mozilla/firefox/profiles.ini",
	    "[Profile0]\nName=default\nIsRelative=1\nPath=abc.default\n");
	nssdb("db1");
	nssdb("db2");
	uct_strv_push(&dbs, d1);
	uct_strv_push(&dbs, d2);
	uct_strv_push(&dbs, d1); /* named twice: one store */
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	uct_stores_free(f.v, f.n);
	/* Named as certutil takes it, relative to the working directory. */
	uct_strv_clear(&dbs);
	ck_assert_int_eq(chdir(home), 0);
	uct_strv_push(&dbs, "sql:db1");
	uct_strv_push(&dbs, "db2");
	uct_strv_push(&dbs, "dbm:db3");
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	s = find(&f, "nss", "db1");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->group, group);
	ck_assert_int_eq(s->browser, UCT_BROWSER_CHROMIUM);
	ck_assert_ptr_nonnull(find(&f, "nss", "db2"));
	uct_stores_free(f.v, f.n);
	uct_strv_clear(&dbs);
	free(d1);
	free(d2);
	free(group);
}
END_TEST

START_TEST(test_browser_mask)
{
	struct uct_discover_opts opts = {.home = home, .browsers = UCT_BROWSER_FIREFOX};
	struct found f;

	nssdb(".pki/nssdb");
	nssdb(".mozilla/firefox/abc.default");
	put(".mozilla/firefox/profiles.ini",
	    "[Profile0]\nName=default\nIsRelative=1\nPath=abc.default\n");
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	ck_assert_ptr_null(find(&f, "nss", ".pki/nssdb"));
	uct_stores_free(f.v, f.n);

	opts.browsers = UCT_BROWSER_CHROMIUM;
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_ptr_nonnull(find(&f, "nss", ".pki/nssdb"));
	uct_stores_free(f.v, f.n);

	opts.browsers = 0; /* all */
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 3);
	uct_stores_free(f.v, f.n);
}
END_TEST

START_TEST(test_bad_ini_and_running_firefox)
{
	struct uct_discover_opts opts = {.home = home};
	struct found f;
	struct uct_store *s;
	char *link, *target;

	nssdb(".mozilla/firefox/abc.default");
	put(".mozilla/firefox/profiles.ini",
	    "this is not ini\n[Profile0]\nName=default\nIsRelative=1\nPath=abc.default\n");
	link = uct_asprintf("%s/.mozilla/firefox/abc.default/lock", home);
	target = uct_asprintf("127.0.1.1:+%ld", (long)getpid());
	ck_assert_int_eq(symlink(target, link), 0);
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 2);
	s = find(&f, "ff-override", ".mozilla/firefox/abc.default");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->busy, 1);
	uct_stores_free(f.v, f.n);
	uct_stores_free(NULL, 0);
	free(link);
	free(target);
}
END_TEST

/* ---- another user's directories and links (root only) ---------------- */

/* A Firefox profile of another user (nobody), outside the home, with a real
 * NSS database: what an absolute Path= or a symlink may point at. The
 * caller removes it. */
static char *victim_profile(void)
{
	char *dir = uct_strdup("/tmp/uct-victim-XXXXXX"), *cmd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	cmd = uct_asprintf("certutil -N -d sql:%s --empty-password >/dev/null 2>&1 && "
			   "chown -R 65534:65534 %s",
			   dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return dir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a directory made outside the test's own, as victim_profile's. */
static void remove_tree(char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Discovery with the run's problems collected; the stores found. */
static struct found discover_problems(struct uct_strv *problems)
{
	struct uct_discover_opts opts = {.home = home, .problems = problems};

	return discover(&opts);
}

static void assert_problem(const struct uct_strv *problems, const char *dir, const char *why)
{
	for (size_t i = 0; i < problems->n; i++)
		if (strstr(problems->v[i], dir) != NULL && strstr(problems->v[i], why) != NULL)
			return;
	ck_abort_msg("no problem about %s saying '%s' (%zu problems%s%s)", dir, why, problems->n,
		     problems->n ? ", first: " : "", problems->n ? problems->v[0] : "");
}

/* profiles.ini in a home root manages names, with an absolute path, a
 * profile of another user: root must not write its NSS database or its
 * override file. The home's own profile is still found. */
START_TEST(test_absolute_path_to_foreign_profile)
{
	struct uct_strv problems = {0};
	char *victim, *ini;
	struct found f;

	if (geteuid() != 0)
		return; /* only root can give a directory away */
	victim = victim_profile();
	nssdb(".mozilla/firefox/own.default");
	ini = uct_asprintf("[Profile0]\nName=evil\nIsRelative=0\nPath=%s\n\n"
			   "[Profile1]\nName=own\nIsRelative=1\nPath=own.default\n",
			   victim);
	put(".mozilla/firefox/profiles.ini", ini);
	f = discover_problems(&problems);
	ck_assert_uint_eq(f.n, 2);
	assert_profile(&f, ".mozilla/firefox/own.default", "firefox:own", 1);
	assert_problem(&problems, victim, "belongs to another user (uid 65534)");
	uct_stores_free(f.v, f.n);
	uct_strv_clear(&problems);
	free(ini);
	remove_tree(victim);
}
END_TEST

/* A profile directory that is a symlink to another user's profile, and one
 * that is a symlink of another user: both refused. */
START_TEST(test_symlinked_foreign_profile)
{
	struct uct_strv problems = {0};
	char *victim, *link;
	struct found f;

	if (geteuid() != 0)
		return;
	victim = victim_profile();
	free(mkdirs(".mozilla/firefox"));
	link = uct_asprintf("%s/.mozilla/firefox/p.linked", home);
	ck_assert_int_eq(symlink(victim, link), 0);
	free(link);
	nssdb("elsewhere/real");
	link = uct_asprintf("%s/.mozilla/firefox/q.theirs", home);
	ck_assert_int_eq(symlink("../../elsewhere/real", link), 0);
	ck_assert_int_eq(lchown(link, 65534, 65534), 0);
	put(".mozilla/firefox/profiles.ini",
	    "[Profile0]\nName=linked\nIsRelative=1\nPath=p.linked\n\n"
	    "[Profile1]\nName=theirs\nIsRelative=1\nPath=q.theirs\n");
	f = discover_problems(&problems);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_uint_eq(problems.n, 2);
	assert_problem(&problems, "p.linked", "belongs to another user (uid 65534)");
	assert_problem(&problems, "q.theirs", "a symbolic link of another user (uid 65534)");
	uct_stores_free(f.v, f.n);
	uct_strv_clear(&problems);
	free(link);
	remove_tree(victim);
}
END_TEST

/* Inside the home: a directory of another user on the way, a directory
 * anyone may change, a database file that is a link, a Chromium database
 * to be created under another user's directory. */
START_TEST(test_foreign_parts_inside_home)
{
	struct uct_strv problems = {0};
	char *path, *target;
	struct found f;
	struct uct_discover_opts opts = {.home = home, .create_chromium_db = 1};

	if (geteuid() != 0)
		return;
	nssdb("theirs/.mozilla/firefox/a.default");
	path = uct_asprintf("%s/theirs", home);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	free(path);
	nssdb(".mozilla/firefox/b.open");
	path = uct_asprintf("%s/.mozilla/firefox/b.open", home);
	ck_assert_int_eq(chmod(path, 0777), 0);
	free(path);
	nssdb(".mozilla/firefox/c.linkdb");
	path = uct_asprintf("%s/.mozilla/firefox/c.linkdb/key4.db", home);
	target = uct_asprintf("%s/.mozilla/firefox/c.linkdb/key4.real", home);
	ck_assert_int_eq(rename(path, target), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	free(path);
	free(target);
	path = uct_asprintf("[Profile0]\nName=a\nIsRelative=0\nPath=%s/theirs/.mozilla/firefox/"
			    "a.default\n\n[Profile1]\nName=b\nIsRelative=1\nPath=b.open\n\n"
			    "[Profile2]\nName=c\nIsRelative=1\nPath=c.linkdb\n",
			    home);
	put(".mozilla/firefox/profiles.ini", path);
	free(path);
	free(mkdirs(".pki"));
	path = uct_asprintf("%s/.pki", home);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	free(path);
	opts.problems = &problems;
	f = discover(&opts);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_uint_eq(problems.n, 4);
	assert_problem(&problems, "a.default", "belongs to another user (uid 65534)");
	assert_problem(&problems, "b.open", "other users can change it (mode 0777)");
	assert_problem(&problems, "c.linkdb", "key4.db: it is a symbolic link");
	assert_problem(&problems, ".pki/nssdb", "belongs to another user (uid 65534)");
	uct_stores_free(f.v, f.n);
	uct_strv_clear(&problems);
}
END_TEST

/* A profiles.ini another user can write (their directory in the home) is
 * not read: its absolute Path= could name any directory of root's. */
START_TEST(test_foreign_profiles_ini)
{
	struct uct_strv problems = {0};
	char *path;
	struct found f;

	if (geteuid() != 0)
		return;
	nssdb("elsewhere/root-profile");
	path = uct_asprintf("[Profile0]\nName=x\nIsRelative=0\nPath=%s/elsewhere/root-profile\n",
			    home);
	put(".mozilla/firefox/profiles.ini", path);
	free(path);
	path = uct_asprintf("%s/.mozilla", home);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	free(path);
	f = discover_problems(&problems);
	ck_assert_uint_eq(f.n, 0);
	assert_problem(&problems, "profile list of", "belongs to another user (uid 65534)");
	uct_stores_free(f.v, f.n);
	uct_strv_clear(&problems);
}
END_TEST

static Suite *discover_suite(void)
{
	Suite *s = suite_create("discover");
	TCase *tc = uct_check_tcase(s, "homes", 1);

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_empty_home);
	tcase_add_test(tc, test_foreign_home_refused);
	tcase_add_test(tc, test_chromium_and_snap);
	tcase_add_test(tc, test_firefox_profiles_ini);
	tcase_add_test(tc, test_xdg_config_home);
	tcase_add_test(tc, test_snap_and_flatpak_same_profile_name);
	tcase_add_test(tc, test_same_directory_found_twice);
	tcase_add_test(tc, test_explicit_nss_dbs_only);
	tcase_add_test(tc, test_browser_mask);
	tcase_add_test(tc, test_bad_ini_and_running_firefox);
	tcase_add_test(tc, test_absolute_path_to_foreign_profile);
	tcase_add_test(tc, test_symlinked_foreign_profile);
	tcase_add_test(tc, test_foreign_parts_inside_home);
	tcase_add_test(tc, test_foreign_profiles_ini);
	return s;
}

UCT_CHECK_MAIN(discover_suite)
