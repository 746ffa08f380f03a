/*
 * setup.c: uccx-trust-setup.exe, the MSI's custom actions in one small
 * program (wixl has no IniFile or ScheduledTask elements): write agent.ini
 * from the MSI properties, run the agent once, register and delete the
 * scheduled runs (Task Scheduler XML given to schtasks.exe), take the trust
 * out at uninstall, and start the agent in user scope without a console
 * window at each user's logon.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <windows.h> /* before shellapi.h */

#include <shellapi.h>

#include "log.h"
#include "platform.h"
#include "platform_win.h"

/* What the agent may take at most when run from the installer: the MSI
 * waits for it, and a server that does not answer costs one connect timeout. */
#define SETUP_AGENT_WAIT_MS (5 * 60 * 1000)
#define SETUP_SCHTASKS_WAIT_MS (60 * 1000)

/* Exit codes of this program (the MSI fails the install on non-zero from
 * "install": a bad property must not leave a half-configured PC). */
#define SETUP_OK 0
#define SETUP_USAGE 2
#define SETUP_FAILED 3

/* The scheduled runs and the XML each is registered from (in
 * %ProgramData%\uccx-trust\tasks). */
static const char *const setup_tasks[] = {"uccx-trust\\machine", "uccx-trust\\user-logon"};
static const char *const setup_task_files[] = {"machine.xml", "user-logon.xml"};
/* Registered with schtasks flags by earlier versions, whose uninstall does
 * not run when this one replaces them: deleted at install and uninstall. */
static const char *const setup_old_tasks[] = {"uccx-trust\\machine-startup",
					      "uccx-trust\\machine-daily"};
#define SETUP_NTASKS 2

/* The agent's arguments for each user's logon run: that user's Firefox
 * profiles, in user scope even when the user is an administrator (UAC off,
 * the built-in Administrator), where the agent would otherwise take the
 * machine scope and manage no profile. */
#define SETUP_USER_ARGS "install --quiet --browser firefox --scope user"

static char *setup_dir;     /* %ProgramData%\uccx-trust */
static char *setup_exe_dir; /* where this program (and uccx-trust.exe) lives */

/* One line to %ProgramData%\uccx-trust\setup.log: the only trace a silent
 * install leaves besides msiexec's own log. */
static void setup_log(const char *fmt, ...) __attribute__((format(UCT_PRINTF_FORMAT, 1, 2)));
static void setup_log(const char *fmt, ...)
{
	char *path = uct_asprintf("%s\\setup.log", setup_dir);
	wchar_t *wdir = uct_win_wide(setup_dir), *wpath = uct_win_wide(path);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = NULL;
	va_list ap;

	if (wdir != NULL)
		CreateDirectoryW(wdir, NULL);
	if (wpath != NULL)
		f = _wfopen(wpath, L"a");
	if (f != NULL) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(f, "%s setup: ", stamp);
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fputc('\n', f);
		fclose(f);
	}
	free(wdir);
	free(wpath);
	free(path);
}

/* Run a command line without a window, waiting at most wait_ms. Returns the
 * exit code, or -1 when it could not start or did not finish in time. */
static long setup_spawn(const char *cmdline, long wait_ms)
{
	STARTUPINFOW si = {.cb = sizeof(si)};
	PROCESS_INFORMATION pi;
	wchar_t *wcmd = uct_win_wide(cmdline);
	DWORD code = 0;
	long rc = -1;

	if (wcmd == NULL)
		return -1;
	if (!CreateProcessW(NULL, wcmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si,
			    &pi)) {
		setup_log("could not start %s (Windows error %lu)", cmdline, GetLastError());
		free(wcmd);
		return -1;
	}
	if (WaitForSingleObject(pi.hProcess, (DWORD)wait_ms) == WAIT_OBJECT_0 &&
	    GetExitCodeProcess(pi.hProcess, &code))
		rc = (long)code;
	else
		setup_log("%s did not finish within %ld s: left running", cmdline, wait_ms / 1000);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	free(wcmd);
	return rc;
}

/* A host name as the INI and the agent expect it: letters, digits, dots,
 * hyphens. Anything else in a property is a mistake to report, not to
 * write into the configuration. */
static int setup_host_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/* NODES is a list separated by spaces, commas or semicolons; the INI wants
 * one comma-separated line. NULL (logged) when a name is not a host name. */
static char *setup_nodes_line(const char *nodes)
{
	const char *p = nodes, *start;
	char *line = uct_strdup(""), *grown;

	while (line != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t')
			p++;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != ',' && *p != ';' && *p != '\t')
			p++;
		if (p == start)
			break;
		if (!setup_host_ok(start, (size_t)(p - start))) {
			setup_log("NODES: '%.*s' is not a host name", (int)(p - start), start);
			free(line);
			return NULL;
		}
		grown = uct_asprintf("%s%s%.*s", line, line[0] ? ", " : "", (int)(p - start),
				     start);
		free(line);
		line = grown;
	}
	return line;
}

static int setup_url_ok(const char *url)
{
	const char *p;

	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return 0;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == ';' || *p == '#' || *p == 0x7f)
			return 0;
	return 1;
}

static int setup_yes(const char *v)
{
	return v != NULL &&
	       (strcmp(v, "1") == 0 || _stricmp(v, "yes") == 0 || _stricmp(v, "true") == 0);
}

/* The MSI properties setup_configure writes into agent.ini. */
struct setup_props {
	const char *nodes, *sm, *url, *keep;
	const char *trust_url, *trust_key; /* collector trust mode: both or neither */
};

/* TRUST_KEY, the collector's public key file, copied next to agent.ini:
 * SYSTEM may not reach the share an administrator keeps it on, and the
 * copy cannot change under the agent. The copy's path (new), or NULL
 * (logged) when the file is not an ECDSA P-256 public key in PEM. */
static char *setup_trust_key(const char *src)
{
	struct uct_err err = {0};
	char *pem = NULL, *dest = NULL;
	size_t len = 0;

	if (uct_file_read(src, 64 * 1024, &pem, &len, &err) < 0) {
		setup_log("TRUST_KEY: %s: nothing written", err.msg);
		return NULL;
	}
	if (strlen(pem) != len || uct_sig_check_key_p256(pem, &err) < 0) {
		setup_log("TRUST_KEY '%s' is not an ECDSA P-256 public key in PEM (give what "
			  "'uccx-trust-collector --print-trust-key' prints): nothing written",
			  src);
		free(pem);
		return NULL;
	}
	dest = uct_asprintf("%s\\trust.pub", setup_dir);
	if (dest == NULL || uct_file_write_atomic(dest, pem, len, 0644, &err) < 0) {
		setup_log("could not write the trust key: %s", err.msg);
		free(dest);
		dest = NULL;
	}
	free(pem);
	return dest;
}

/* The properties' checks before anything is written: SETUP_OK, or
 * SETUP_USAGE (logged) with *line NULL or set. */
static int setup_check_props(const struct setup_props *p, char **line)
{
	*line = setup_nodes_line(p->nodes);
	if (*line == NULL || (p->sm[0] != '\0' && !setup_host_ok(p->sm, strlen(p->sm)))) {
		setup_log("SOCIALMINER or NODES is not a host name: nothing written");
		return SETUP_USAGE;
	}
	if ((p->url[0] != '\0' && !setup_url_ok(p->url)) ||
	    (p->trust_url[0] != '\0' && !setup_url_ok(p->trust_url))) {
		setup_log("COLLECTOR_URL '%s' or TRUST_URL '%s' is not an http(s) URL without "
			  "spaces: nothing written",
			  p->url, p->trust_url);
		return SETUP_USAGE;
	}
	if ((p->trust_url[0] != '\0') != (p->trust_key[0] != '\0')) {
		setup_log("TRUST_URL and TRUST_KEY go together (the collector trust mode needs "
			  "both): nothing written");
		return SETUP_USAGE;
	}
	return SETUP_OK;
}

/* agent.ini's text from the checked properties; key: the trust key's
 * copy, NULL without the collector trust mode. */
static char *setup_ini_text(const struct setup_props *p, const char *line, const char *key)
{
	char *trust = key != NULL ? uct_asprintf("\n[trust]\nmode = collector\nurl = %s\n"
						 "key_file = %s\n",
						 p->trust_url, key)
				  : uct_strdup("");
	char *text = NULL;

	if (trust != NULL)
		text = uct_asprintf(
			"; agent.ini: written by the uccx-trust installer from its properties\n"
			"; (NODES, SOCIALMINER, COLLECTOR_URL, TRUST_URL, TRUST_KEY, KEEP_CERTS).\n"
			"; Edit freely: a repair or upgrade without those properties keeps this "
			"file.\n"
			"\n[uccx]\n%s%s%s%s%s%s\n[agent]\nkeep_on_uninstall = %s\n%s"
			"\n[report]\n%s%s%s",
			line[0] ? "nodes = " : "; no NODES given\n", line, line[0] ? "\n" : "",
			p->sm[0] ? "socialminer = " : "", p->sm, p->sm[0] ? "\n" : "",
			setup_yes(p->keep) ? "yes" : "no", trust, p->url[0] ? "url = " : "", p->url,
			p->url[0] ? "\n" : "");
	free(trust);
	return text;
}

/* Write agent.ini from the properties. With none given (a repair, an
 * upgrade) an existing file is kept as it is. */
static int setup_configure(const struct setup_props *p)
{
	char *path = uct_asprintf("%s\\agent.ini", setup_dir);
	char *line = NULL, *text = NULL, *key = NULL;
	wchar_t *wpath = uct_win_wide(path);
	struct uct_err err = {0};
	int rc = SETUP_FAILED;

	if (path == NULL || wpath == NULL)
		goto out;
	if (p->nodes[0] == '\0' && p->sm[0] == '\0' && p->url[0] == '\0' &&
	    p->trust_url[0] == '\0' && p->trust_key[0] == '\0' &&
	    GetFileAttributesW(wpath) != INVALID_FILE_ATTRIBUTES) {
		setup_log("no NODES, SOCIALMINER, COLLECTOR_URL or TRUST_URL given: %s kept", path);
		rc = SETUP_OK;
		goto out;
	}
	rc = setup_check_props(p, &line);
	if (rc != SETUP_OK)
		goto out;
	rc = SETUP_USAGE;
	if (p->trust_key[0] != '\0' && (key = setup_trust_key(p->trust_key)) == NULL)
		goto out;
	rc = SETUP_FAILED;
	text = setup_ini_text(p, line, key);
	if (text == NULL || uct_file_write_atomic(path, text, strlen(text), 0644, &err) < 0) {
		setup_log("could not write %s: %s", path, err.msg);
		goto out;
	}
	setup_log("wrote %s: nodes '%s', socialminer '%s', report url '%s', trust url '%s', "
		  "keep_on_uninstall %s",
		  path, line, p->sm, p->url, p->trust_url, setup_yes(p->keep) ? "yes" : "no");
	rc = SETUP_OK;
out:
	free(text);
	free(key);
	free(line);
	free(wpath);
	free(path);
	return rc;
}

static void setup_agent(const char *args)
{
	char *cmd = uct_asprintf("\"%s\\uccx-trust.exe\" %s", setup_exe_dir, args);
	long rc;

	if (cmd == NULL)
		return;
	rc = setup_spawn(cmd, SETUP_AGENT_WAIT_MS);
	/* 1 (an endpoint not trusted or unreachable) is an answer, not a
	 * failure of the installation: the scheduled runs try again. */
	setup_log("uccx-trust.exe %s: exit code %ld", args, rc);
	free(cmd);
}

/* Text for an XML element or attribute: the five special characters
 * escaped (a directory may hold '&'). NULL when out of memory. */
static char *setup_xml_escape(const char *s)
{
	size_t n = 1;
	const char *p;
	char *out, *o;

	for (p = s; *p != '\0'; p++)
		n += strchr("&<>\"'", *p) != NULL ? 6 : 1;
	out = malloc(n);
	for (p = s, o = out; out != NULL && *p != '\0'; p++) {
		const char *ent = *p == '&'    ? "&amp;"
				  : *p == '<'  ? "&lt;"
				  : *p == '>'  ? "&gt;"
				  : *p == '"'  ? "&quot;"
				  : *p == '\'' ? "&apos;"
					       : NULL;

		if (ent != NULL) {
			memcpy(o, ent, strlen(ent));
			o += strlen(ent);
		} else {
			*o++ = *p;
		}
	}
	if (out != NULL)
		*o = '\0';
	return out;
}

/*
 * The two tasks, in Microsoft's Task Scheduler schema (version 1.2):
 * - machine: as SYSTEM, at start-up (2 minutes later, for the network) and
 *   daily at 09:00 (spread over 30 minutes), run when missed
 *   (StartWhenAvailable: a PC that was off at 09:00 runs at its next start)
 *   and only with a network (RunOnlyIfNetworkAvailable);
 * - user-logon: at each user's logon, as that user (the Users group,
 *   least privilege), the agent in user scope through this program's
 *   user-run, which shows no console window.
 */
static const char *const setup_task_triggers[] = {
	"    <BootTrigger>\r\n      <Enabled>true</Enabled>\r\n      <Delay>PT2M</Delay>\r\n"
	"    </BootTrigger>\r\n"
	"    <CalendarTrigger>\r\n      <StartBoundary>2024-01-01T09:00:00</StartBoundary>\r\n"
	"      <Enabled>true</Enabled>\r\n      <RandomDelay>PT30M</RandomDelay>\r\n"
	"      <ScheduleByDay>\r\n        <DaysInterval>1</DaysInterval>\r\n"
	"      </ScheduleByDay>\r\n    </CalendarTrigger>\r\n",
	"    <LogonTrigger>\r\n      <Enabled>true</Enabled>\r\n      <Delay>PT30S</Delay>\r\n"
	"    </LogonTrigger>\r\n",
};
static const char *const setup_task_principals[] = {
	"      <UserId>S-1-5-18</UserId>\r\n      <RunLevel>HighestAvailable</RunLevel>\r\n",
	"      <GroupId>S-1-5-32-545</GroupId>\r\n      <RunLevel>LeastPrivilege</RunLevel>\r\n",
};
static const char *const setup_task_exes[] = {"uccx-trust.exe", "uccx-trust-setup.exe"};
static const char *const setup_task_args[] = {"install --quiet", "user-run " SETUP_USER_ARGS};

static char *setup_task_xml(int which)
{
	char *dir = setup_xml_escape(setup_exe_dir), *xml;

	if (dir == NULL)
		return NULL;
	xml = uct_asprintf(
		"<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n"
		"<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\r\n"
		"  <RegistrationInfo>\r\n    <Author>uccx-trust</Author>\r\n"
		"    <Description>uccx-trust: makes the Cisco UCCX servers' certificates trusted"
		" by this PC's browsers.</Description>\r\n  </RegistrationInfo>\r\n"
		"  <Triggers>\r\n%s  </Triggers>\r\n"
		"  <Principals>\r\n    <Principal id=\"Author\">\r\n%s    </Principal>\r\n"
		"  </Principals>\r\n"
		"  <Settings>\r\n    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\r\n"
		"    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\r\n"
		"    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\r\n"
		"    <StartWhenAvailable>true</StartWhenAvailable>\r\n"
		"    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>\r\n"
		"    <ExecutionTimeLimit>PT30M</ExecutionTimeLimit>\r\n"
		"    <Enabled>true</Enabled>\r\n  </Settings>\r\n"
		"  <Actions Context=\"Author\">\r\n    <Exec>\r\n"
		"      <Command>&quot;%s\\%s&quot;</Command>\r\n"
		"      <Arguments>%s</Arguments>\r\n    </Exec>\r\n  </Actions>\r\n"
		"</Task>\r\n",
		setup_task_triggers[which], setup_task_principals[which], dir,
		setup_task_exes[which], setup_task_args[which]);
	free(dir);
	return xml;
}

/* Write text as UTF-16 (little endian) with its byte order mark, what
 * schtasks /XML expects. 0 or -1 (logged). */
static int setup_write_utf16(const char *path, const char *text)
{
	wchar_t *wide = uct_win_wide(text);
	size_t n = wide != NULL ? wcslen(wide) : 0;
	unsigned char *buf = wide != NULL ? malloc(2 * n + 2) : NULL;
	struct uct_err err = {0};
	size_t i;
	int rc = -1;

	if (buf == NULL) {
		setup_log("could not write %s: out of memory", path);
		goto out;
	}
	buf[0] = 0xff;
	buf[1] = 0xfe;
	for (i = 0; i < n; i++) {
		buf[2 + 2 * i] = (unsigned char)(wide[i] & 0xff);
		buf[3 + 2 * i] = (unsigned char)(wide[i] >> 8);
	}
	rc = uct_file_write_atomic(path, (const char *)buf, 2 * n + 2, 0644, &err);
	if (rc < 0)
		setup_log("could not write %s: %s", path, err.msg);
out:
	free(buf);
	free(wide);
	return rc;
}

static char *setup_schtasks(void)
{
	char *root = uct_win_getenv("SystemRoot");
	char *exe = uct_asprintf("%s\\System32\\schtasks.exe", root ? root : "C:\\Windows");

	free(root);
	return exe;
}

/* schtasks.exe ARGS, its exit code logged, not enforced: a task service
 * that is off must not fail the install. */
static void setup_schtasks_run(const char *what, const char *name, const char *args)
{
	char *schtasks = setup_schtasks();
	char *cmd = schtasks != NULL ? uct_asprintf("\"%s\" %s", schtasks, args) : NULL;

	if (cmd != NULL)
		setup_log("schtasks %s %s: exit code %ld", what, name,
			  setup_spawn(cmd, SETUP_SCHTASKS_WAIT_MS));
	free(cmd);
	free(schtasks);
}

static void setup_task_delete(const char *name)
{
	char *args = uct_asprintf("/Delete /F /TN \"%s\"", name);

	if (args != NULL)
		setup_schtasks_run("/Delete", name, args);
	free(args);
}

/* Write each task's XML and register it (replacing one of that name). */
static void setup_tasks_add(void)
{
	char *dir = uct_asprintf("%s\\tasks", setup_dir), *path, *xml, *args;
	wchar_t *wdir = dir != NULL ? uct_win_wide(dir) : NULL;
	int i;

	for (i = 0; i < SETUP_NTASKS; i++)
		setup_task_delete(setup_old_tasks[i]);
	if (wdir != NULL)
		CreateDirectoryW(wdir, NULL);
	for (i = 0; dir != NULL && i < SETUP_NTASKS; i++) {
		path = uct_asprintf("%s\\%s", dir, setup_task_files[i]);
		xml = setup_task_xml(i);
		args = path != NULL ? uct_asprintf("/Create /F /TN \"%s\" /XML \"%s\"",
						   setup_tasks[i], path)
				    : NULL;
		if (xml != NULL && args != NULL && setup_write_utf16(path, xml) == 0)
			setup_schtasks_run("/Create", setup_tasks[i], args);
		free(args);
		free(xml);
		free(path);
	}
	free(wdir);
	free(dir);
}

static void setup_tasks_remove(void)
{
	char *path;
	wchar_t *wpath;
	int i;

	for (i = 0; i < SETUP_NTASKS; i++) {
		setup_task_delete(setup_tasks[i]);
		setup_task_delete(setup_old_tasks[i]);
		path = uct_asprintf("%s\\tasks\\%s", setup_dir, setup_task_files[i]);
		wpath = path != NULL ? uct_win_wide(path) : NULL;
		if (wpath != NULL)
			DeleteFileW(wpath);
		free(wpath);
		free(path);
	}
	path = uct_asprintf("%s\\tasks", setup_dir);
	wpath = path != NULL ? uct_win_wide(path) : NULL;
	if (wpath != NULL)
		RemoveDirectoryW(wpath);
	free(wpath);
	free(path);
}

static int setup_keep_handler(void *ctx, const char *section, const char *key, const char *value,
			      int line)
{
	(void)line;
	if (strcmp(section, "agent") == 0 && strcmp(key, "keep_on_uninstall") == 0)
		*(int *)ctx = setup_yes(value) || _stricmp(value, "on") == 0;
	return 0;
}

/* Delete the files of a directory (the agent's state: agent.ini, the record
 * of what it installed, the report spool), one level of subdirectories deep,
 * then the directory. Reparse points are removed, never followed. */
static void setup_rmtree(const wchar_t *dir, int depth)
{
	WIN32_FIND_DATAW fd;
	wchar_t pattern[MAX_PATH], child[MAX_PATH];
	HANDLE h;

	if (_snwprintf(pattern, MAX_PATH, L"%ls\\*", dir) < 0)
		return;
	h = FindFirstFileW(pattern, &fd);
	while (h != INVALID_HANDLE_VALUE) {
		if (wcscmp(fd.cFileName, L".") != 0 && wcscmp(fd.cFileName, L"..") != 0 &&
		    _snwprintf(child, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName) > 0) {
			if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
			    !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && depth > 0)
				setup_rmtree(child, depth - 1);
			else if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
				RemoveDirectoryW(child);
			else
				DeleteFileW(child);
		}
		if (!FindNextFileW(h, &fd)) {
			FindClose(h);
			h = INVALID_HANDLE_VALUE;
		}
	}
	RemoveDirectoryW(dir);
}

static void setup_uninstall(const char *keep_prop)
{
	char *ini = uct_asprintf("%s\\agent.ini", setup_dir);
	wchar_t *wdir;
	int keep = setup_yes(keep_prop);

	setup_tasks_remove();
	if (!keep && ini != NULL)
		uct_ini_parse(ini, setup_keep_handler, &keep, NULL);
	free(ini);
	if (keep) {
		/* The record of what was installed stays, so that a later
		 * install, then uninstall, can still take it out. */
		setup_log("KEEP_CERTS / keep_on_uninstall: trust and %s left in place", setup_dir);
		return;
	}
	setup_agent("remove --quiet");
	wdir = uct_win_wide(setup_dir);
	if (wdir != NULL)
		setup_rmtree(wdir, 2);
	free(wdir);
}

/* An argument passed on to the agent: letters, digits and '-' only, so
 * that it needs no quoting and cannot start another command. */
static int setup_word_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

/* Each user's logon run (the user-logon task): the agent with the
 * arguments after "user-run" (the task's, which an administrator sees in
 * Task Scheduler), or SETUP_USER_ARGS without any, without a console
 * window flashing on the desktop. --scope user is always there. */
static void setup_user_run(int argc, char **argv)
{
	char *args = uct_strdup(argc > 2 ? "" : SETUP_USER_ARGS), *grown, *cmd;
	int i, scoped = argc <= 2;

	for (i = 2; args != NULL && i < argc; i++) {
		if (!setup_word_ok(argv[i])) {
			free(args);
			args = uct_strdup(SETUP_USER_ARGS);
			scoped = 1;
			break;
		}
		scoped = scoped ||
			 (strcmp(argv[i], "user") == 0 && strcmp(argv[i - 1], "--scope") == 0);
		grown = uct_asprintf("%s%s%s", args, args[0] ? " " : "", argv[i]);
		free(args);
		args = grown;
	}
	cmd = args != NULL ? uct_asprintf("\"%s\\uccx-trust.exe\" %s%s", setup_exe_dir, args,
					  scoped ? "" : " --scope user")
			   : NULL;
	if (cmd != NULL)
		setup_spawn(cmd, SETUP_AGENT_WAIT_MS);
	free(cmd);
	free(args);
}

/* "--name=value" arguments: an empty MSI property then arrives as an empty
 * value instead of a missing argument. */
static const char *setup_arg(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 2; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return "";
}

static int setup_main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	char *base = uct_win_getenv("ProgramData");
	wchar_t self[MAX_PATH];
	DWORD n = GetModuleFileNameW(NULL, self, MAX_PATH);
	int rc = SETUP_OK;

	while (n > 0 && self[n - 1] != L'\\')
		n--;
	self[n > 0 ? n - 1 : 0] = L'\0';
	setup_exe_dir = uct_win_utf8(self);
	setup_dir = uct_asprintf("%s\\uccx-trust", base ? base : "C:\\ProgramData");
	free(base);
	if (setup_dir == NULL || setup_exe_dir == NULL)
		return SETUP_FAILED;
	if (strcmp(cmd, "install") == 0) {
		struct setup_props props = {
			.nodes = setup_arg(argc, argv, "--nodes"),
			.sm = setup_arg(argc, argv, "--socialminer"),
			.url = setup_arg(argc, argv, "--collector-url"),
			.keep = setup_arg(argc, argv, "--keep-certs"),
			.trust_url = setup_arg(argc, argv, "--trust-url"),
			.trust_key = setup_arg(argc, argv, "--trust-key"),
		};

		rc = setup_configure(&props);
		if (rc == SETUP_OK) {
			setup_agent("install --quiet");
			setup_tasks_add();
		}
	} else if (strcmp(cmd, "uninstall") == 0) {
		setup_uninstall(setup_arg(argc, argv, "--keep-certs"));
	} else if (strcmp(cmd, "user-run") == 0) {
		setup_user_run(argc, argv);
	} else {
		rc = SETUP_USAGE;
	}
	free(setup_dir);
	free(setup_exe_dir);
	return rc;
}

int main(void)
{
	int argc = 0, i, rc = SETUP_FAILED;
	wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &argc);
	char **argv = calloc((size_t)argc + 1, sizeof(*argv));

	for (i = 0; wargv != NULL && argv != NULL && i < argc; i++)
		if ((argv[i] = uct_win_utf8(wargv[i])) == NULL)
			goto out;
	if (wargv != NULL && argv != NULL)
		rc = setup_main(argc, argv);
out:
	for (i = 0; argv != NULL && i < argc; i++)
		free(argv[i]);
	free(argv);
	LocalFree(wargv);
	return rc;
}
