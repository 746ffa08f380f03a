/*
 * log_win.c: the agent's log sink on Windows. A scheduled run as SYSTEM has
 * no console, so each message also goes to the Application event log
 * (source "uccx-trust") and to agent.log in the state directory
 * (%ProgramData%\uccx-trust as administrator, else %LOCALAPPDATA%).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "win.h"

/* agent.log is appended to; past this size it starts again, so a PC that
 * runs for years never fills its disk with it. */
#define LOGW_MAX_SIZE (1024L * 1024)

struct logw_sink {
	HANDLE source; /* RegisterEventSourceW, NULL when refused */
	wchar_t *file; /* agent.log, NULL when no state directory */
};

static struct logw_sink logw;

static void logw_event(enum uct_log_level level, const char *msg)
{
	wchar_t *wmsg = uct_win_wide(msg);
	const wchar_t *strings[1] = {wmsg};
	WORD type = level == UCT_LOG_ERROR  ? EVENTLOG_ERROR_TYPE
		    : level == UCT_LOG_WARN ? EVENTLOG_WARNING_TYPE
					    : EVENTLOG_INFORMATION_TYPE;

	/* Event id 1 for every message: the text says it all, and without a
	 * message DLL the Event Viewer shows the text as "included information". */
	if (logw.source != NULL && wmsg != NULL)
		ReportEventW(logw.source, type, 0, 1, NULL, 1, 0, strings, NULL);
	free(wmsg);
}

static void logw_file(const char *name, const char *msg)
{
	WIN32_FILE_ATTRIBUTE_DATA st;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	if (logw.file == NULL)
		return;
	f = _wfopen(logw.file,
		    GetFileAttributesExW(logw.file, GetFileExInfoStandard, &st) &&
				    (st.nFileSizeHigh > 0 || st.nFileSizeLow > LOGW_MAX_SIZE)
			    ? L"w"
			    : L"a");
	if (f == NULL)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s [%lu] %s: %s\n", stamp, GetCurrentProcessId(), name, msg);
	fclose(f);
}

static void logw_sink(enum uct_log_level level, const char *msg, void *ctx)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};

	uct_log_stderr(level, msg, ctx);
	logw_event(level, msg);
	logw_file(names[level], msg);
}

uct_log_sink uct_platform_log_sink(void **ctx)
{
	char *dir = uct_default_state_dir(), *path;
	wchar_t *wdir = uct_win_wide(dir);

	*ctx = NULL;
	if (logw.source == NULL)
		logw.source = RegisterEventSourceW(NULL, L"uccx-trust");
	if (logw.file == NULL && dir != NULL) {
		/* Only into an existing directory: the state directory is
		 * created (with its ACL) by the run, not by the logger. */
		path = uct_asprintf("%s\\agent.log", dir);
		if (path != NULL && wdir != NULL &&
		    GetFileAttributesW(wdir) != INVALID_FILE_ATTRIBUTES)
			logw.file = uct_win_wide(path);
		free(path);
	}
	free(wdir);
	free(dir);
	return logw_sink;
}
