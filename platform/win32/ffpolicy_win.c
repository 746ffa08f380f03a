/*
 * ffpolicy_win.c: the Firefox policy ImportEnterpriseRoots, which makes
 * Firefox before 120 trust the roots of the Windows stores as 120+ does by
 * default. Set by an elevated run while it has certificates in the
 * machine's Root or CA store, taken away when the last one goes, and only
 * when the agent set it and nobody changed it since.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "win.h"

#define FFP_KEY L"Software\\Policies\\Mozilla\\Firefox\\Certificates"
#define FFP_VALUE L"ImportEnterpriseRoots"
/* The record that the agent set the policy, beside the MSI's Version. */
#define FFP_MARK_KEY L"Software\\uccx-trust"
#define FFP_MARK_VALUE L"FirefoxEnterpriseRootsSet"
#define FFP_VIEW KEY_WOW64_64KEY

/* The DWORD at key\value: 1 and *v when present as a DWORD, 0 when absent,
 * -1 when present with another type (someone else's setting). */
static int ffp_get(const wchar_t *key, const wchar_t *value, DWORD *v)
{
	DWORD type = 0, size = sizeof(*v);
	HKEY h;
	LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_QUERY_VALUE | FFP_VIEW, &h);

	if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND)
		return 0;
	if (rc != ERROR_SUCCESS)
		return -1;
	rc = RegQueryValueExW(h, value, NULL, &type, (BYTE *)v, &size);
	RegCloseKey(h);
	if (rc == ERROR_FILE_NOT_FOUND)
		return 0;
	if (rc != ERROR_SUCCESS || type != REG_DWORD || size != sizeof(*v))
		return -1;
	return 1;
}

static LONG ffp_set(const wchar_t *key, const wchar_t *value, DWORD v)
{
	HKEY h;
	LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE | FFP_VIEW,
				  NULL, &h, NULL);

	if (rc != ERROR_SUCCESS)
		return rc;
	rc = RegSetValueExW(h, value, 0, REG_DWORD, (const BYTE *)&v, sizeof(v));
	RegCloseKey(h);
	return rc;
}

static void ffp_delete_value(const wchar_t *key, const wchar_t *value)
{
	HKEY h;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_SET_VALUE | FFP_VIEW, &h) !=
	    ERROR_SUCCESS)
		return;
	RegDeleteValueW(h, value);
	RegCloseKey(h);
}

/* Delete key when it holds nothing, then its parents up to stop (the
 * policy keys the agent created for its one value). */
static void ffp_prune(const wchar_t *key, size_t stop_len)
{
	wchar_t path[128];
	DWORD subkeys, values;
	wchar_t *cut;
	HKEY h;

	if (wcslen(key) >= sizeof(path) / sizeof(path[0]))
		return;
	wcscpy(path, key);
	while (wcslen(path) > stop_len) {
		if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | FFP_VIEW, &h) !=
		    ERROR_SUCCESS)
			return;
		if (RegQueryInfoKeyW(h, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL, NULL,
				     NULL, NULL) != ERROR_SUCCESS ||
		    subkeys != 0 || values != 0) {
			RegCloseKey(h);
			return;
		}
		RegCloseKey(h);
		if (RegDeleteKeyExW(HKEY_LOCAL_MACHINE, path, FFP_VIEW, 0) != ERROR_SUCCESS)
			return;
		cut = wcsrchr(path, L'\\');
		if (cut == NULL)
			return;
		*cut = L'\0';
	}
}

void uct_win_ffpolicy_apply(int wanted)
{
	DWORD policy = 0, mark = 0;
	int have = ffp_get(FFP_KEY, FFP_VALUE, &policy);
	int ours = ffp_get(FFP_MARK_KEY, FFP_MARK_VALUE, &mark) == 1 && mark == 1;
	LONG rc;

	if (wanted) {
		if (have == 1 && policy == 0) {
			uct_log(UCT_LOG_WARN,
				"the Firefox policy ImportEnterpriseRoots is 0 on this PC: Firefox "
				"ignores the certificates installed in the Windows stores (left as is)");
			return;
		}
		if (have != 0)
			return; /* already on, ours or the administrator's */
		rc = ffp_set(FFP_KEY, FFP_VALUE, 1);
		if (rc == ERROR_SUCCESS)
			rc = ffp_set(FFP_MARK_KEY, FFP_MARK_VALUE, 1);
		if (rc != ERROR_SUCCESS)
			uct_log(UCT_LOG_WARN,
				"cannot set the Firefox policy ImportEnterpriseRoots (Windows error %ld): "
				"Firefox before 120 will not see the installed certificates",
				(long)rc);
		else
			uct_log(UCT_LOG_INFO, "Firefox policy ImportEnterpriseRoots set to 1");
		return;
	}
	if (!ours)
		return;
	/* Ours and still 1: take it away. Changed since: it is someone else's
	 * now; only our record goes. */
	if (have == 1 && policy == 1) {
		ffp_delete_value(FFP_KEY, FFP_VALUE);
		ffp_prune(FFP_KEY, wcslen(L"Software\\Policies"));
		uct_log(UCT_LOG_INFO, "Firefox policy ImportEnterpriseRoots removed");
	}
	ffp_delete_value(FFP_MARK_KEY, FFP_MARK_VALUE);
}
