/*
 * doctor_win.c: what `uccx-trust doctor` finds on Windows that undoes the
 * trust the agent installed, each a plain sentence with its fix: Chrome's
 * and Edge's policy to ignore the Windows stores, Firefox's enterprise
 * roots forced off, a Firefox too old for the exception lines the agent
 * writes, and server names where Firefox takes no exception at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "win.h"

/* Browsers are 64-bit on a 64-bit PC; their policies live in that view. */
#define DW_VIEW KEY_WOW64_64KEY

/*
 * The oldest Firefox whose cert_override.txt reader takes the line the
 * agent writes ("host:port:<TAB>OID<TAB>FINGERPRINT<TAB>", no override bits,
 * no dbKey). Firefox 115's nsCertOverrideService.cpp (seen in the 115.8
 * source) reads "host:port:originAttributes \t OID \t fingerprint" and
 * ignores what follows; earlier readers skip a line without a non-empty
 * dbKey field, or without four tabs (the "host:port \t OID \t fingerprint
 * \t bits \t dbKey" format), so the agent's lines would be lost.
 */
#define DW_FIREFOX_MIN 115

/* The DWORD root\key\value: 1 and *v when it is a DWORD, else 0. */
static int dw_dword(HKEY root, const wchar_t *key, const wchar_t *value, DWORD *v)
{
	DWORD type = 0, size = sizeof(*v);
	HKEY h;
	LONG rc;

	if (RegOpenKeyExW(root, key, 0, KEY_QUERY_VALUE | DW_VIEW, &h) != ERROR_SUCCESS)
		return 0;
	rc = RegQueryValueExW(h, value, NULL, &type, (BYTE *)v, &size);
	RegCloseKey(h);
	return rc == ERROR_SUCCESS && type == REG_DWORD && size == sizeof(*v);
}

/* The string root\key\value as UTF-8 (caller frees), or NULL. */
static char *dw_string(HKEY root, const wchar_t *key, const wchar_t *value)
{
	wchar_t buf[1024];
	DWORD type = 0, size = sizeof(buf) - sizeof(wchar_t);
	HKEY h;
	LONG rc;

	if (RegOpenKeyExW(root, key, 0, KEY_QUERY_VALUE | DW_VIEW, &h) != ERROR_SUCCESS)
		return NULL;
	rc = RegQueryValueExW(h, value, NULL, &type, (BYTE *)buf, &size);
	RegCloseKey(h);
	if (rc != ERROR_SUCCESS || (type != REG_SZ && type != REG_EXPAND_SZ))
		return NULL;
	buf[size / sizeof(wchar_t)] = L'\0';
	return uct_win_utf8(buf);
}

static void dw_note(struct uct_strv *notes, char *text)
{
	if (text != NULL && !uct_strv_contains(notes, text))
		uct_strv_push(notes, text);
	free(text);
}

/*
 * CAPlatformIntegrationEnabled = false makes Chrome and Edge leave out the
 * certificates users and administrators added to the Windows stores
 * (Chromium's policy template CAPlatformIntegrationEnabled.yaml: "user-added
 * TLS certificates from platform trust stores will not be used"), which is
 * everything the agent installs there.
 */
static const struct {
	const wchar_t *key;
	const char *key_name, *browser, *admx;
} dw_chromium[] = {
	{L"SOFTWARE\\Policies\\Google\\Chrome", "SOFTWARE\\Policies\\Google\\Chrome", "Chrome",
	 "Google Chrome"},
	{L"SOFTWARE\\Policies\\Microsoft\\Edge", "SOFTWARE\\Policies\\Microsoft\\Edge", "Edge",
	 "Microsoft Edge"},
};
static const struct {
	HKEY root;
	const char *name;
} dw_roots[] = {{HKEY_LOCAL_MACHINE, "HKLM"}, {HKEY_CURRENT_USER, "HKCU"}};
#define DW_N(a) (sizeof(a) / sizeof((a)[0]))

/* 1 when the policy is 0 for browser b under root r. */
static int dw_integration_off(size_t b, size_t r)
{
	DWORD v;

	return dw_dword(dw_roots[r].root, dw_chromium[b].key, L"CAPlatformIntegrationEnabled",
			&v) &&
	       v == 0;
}

int uct_win_ca_policy_off(char *where, size_t len)
{
	size_t b, r;

	for (b = 0; b < DW_N(dw_chromium); b++)
		for (r = 0; r < DW_N(dw_roots); r++)
			if (dw_integration_off(b, r)) {
				snprintf(where, len, "%s (%s\\%s)", dw_chromium[b].browser,
					 dw_roots[r].name, dw_chromium[b].key_name);
				return 1;
			}
	return 0;
}

static void dw_chromium_policy(struct uct_strv *notes)
{
	size_t b, r;

	for (b = 0; b < DW_N(dw_chromium); b++)
		for (r = 0; r < DW_N(dw_roots); r++) {
			if (!dw_integration_off(b, r))
				continue;
			dw_note(notes,
				uct_asprintf(
					"%s ignores the certificates added to the Windows stores, "
					"so it does not trust what uccx-trust installed: the "
					"policy CAPlatformIntegrationEnabled is 0 in %s\\%s. Ask "
					"the administrator to remove that policy or set it to 1 "
					"(Group Policy: %s, Certificate management settings), "
					"then restart %s.",
					dw_chromium[b].browser, dw_roots[r].name,
					dw_chromium[b].key_name, dw_chromium[b].admx,
					dw_chromium[b].browser));
		}
}

/* 1 when policies.json text sets ImportEnterpriseRoots to false. */
static int dw_json_roots_off(const char *json)
{
	const char *p = json;

	while ((p = strstr(p, "\"ImportEnterpriseRoots\"")) != NULL) {
		p += strlen("\"ImportEnterpriseRoots\"");
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (strncmp(p, "false", 5) == 0)
			return 1;
	}
	return 0;
}

#define DW_FF_KEY L"SOFTWARE\\Mozilla\\Mozilla Firefox"

/* Firefox's install directory from the registry, or NULL (caller frees). */
static char *dw_firefox_dir(void)
{
	char *version = dw_string(HKEY_LOCAL_MACHINE, DW_FF_KEY, L"CurrentVersion");
	char *key = NULL, *dir = NULL;
	wchar_t *wkey;

	if (version != NULL)
		key = uct_asprintf("SOFTWARE\\Mozilla\\Mozilla Firefox\\%s\\Main", version);
	free(version);
	if (key == NULL)
		return NULL;
	wkey = uct_win_wide(key);
	free(key);
	if (wkey != NULL)
		dir = dw_string(HKEY_LOCAL_MACHINE, wkey, L"Install Directory");
	free(wkey);
	return dir;
}

/*
 * ImportEnterpriseRoots forced off (registry policy, or the policies.json
 * beside firefox.exe) makes Firefox ignore the Windows Root store, where
 * the agent puts what Firefox 120+ would otherwise import by default
 * (EnterpriseRoots.cpp). The agent's own policy value is 1, never 0.
 */
static void dw_firefox_policy(struct uct_strv *notes)
{
	char *dir, *path = NULL, *json = NULL;
	size_t r;
	DWORD v;

	for (r = 0; r < DW_N(dw_roots); r++)
		if (dw_dword(dw_roots[r].root,
			     L"SOFTWARE\\Policies\\Mozilla\\Firefox\\Certificates",
			     L"ImportEnterpriseRoots", &v) &&
		    v == 0)
			dw_note(notes,
				uct_asprintf(
					"Firefox ignores the Windows Root store, so it does not "
					"trust the certificates uccx-trust put there: the policy "
					"ImportEnterpriseRoots is 0 in %s\\SOFTWARE\\Policies\\"
					"Mozilla\\Firefox\\Certificates. Ask the administrator to "
					"set it to 1 or remove it, then restart Firefox.",
					dw_roots[r].name));
	dir = dw_firefox_dir();
	if (dir != NULL)
		path = uct_asprintf("%s\\distribution\\policies.json", dir);
	if (path != NULL && uct_file_read(path, 1 << 20, &json, NULL, NULL) == 0 &&
	    dw_json_roots_off(json))
		dw_note(notes,
			uct_asprintf("Firefox ignores the Windows Root store, so it does not "
				     "trust the certificates uccx-trust put there: %s sets "
				     "Certificates.ImportEnterpriseRoots to false. Ask the "
				     "administrator to set it to true or remove it, then restart "
				     "Firefox.",
				     path));
	free(json);
	free(path);
	free(dir);
}

/* The Firefox major version in the registry ("115.8.0esr (x64 en-US)"),
 * 0 when not installed or not readable. */
static int dw_firefox_major(char **shown)
{
	char *version = dw_string(HKEY_LOCAL_MACHINE, DW_FF_KEY, L"CurrentVersion");
	int major = 0;

	*shown = NULL;
	if (version == NULL) {
		version = dw_string(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Mozilla\\Mozilla Firefox ESR",
				    L"CurrentVersion");
		if (version == NULL)
			return 0;
	}
	if (sscanf(version, "%d", &major) != 1 || major < 1)
		major = 0;
	*shown = version;
	return major;
}

static void dw_firefox_version(struct uct_strv *notes)
{
	char *shown = NULL;
	int major = dw_firefox_major(&shown);

	if (major > 0 && major < DW_FIREFOX_MIN)
		dw_note(notes,
			uct_asprintf("Firefox %s is too old for the exceptions uccx-trust "
				     "writes (cert_override.txt lines need Firefox %d or later): "
				     "update Firefox, then run uccx-trust install again as the "
				     "user.",
				     shown, DW_FIREFOX_MIN));
	free(shown);
}

/* Firefox refuses a certificate exception for an HSTS host (RFC 6797,
 * 12.1), and whole top-level domains are preloaded as such. */
static void dw_hsts(const struct uct_strv *hosts, struct uct_strv *notes)
{
	const char *tld;
	size_t i;

	for (i = 0; hosts != NULL && i < hosts->n; i++) {
		if ((tld = uct_hsts_preloaded_tld(hosts->v[i])) == NULL)
			continue;
		dw_note(notes,
			uct_asprintf("%s is under .%s, which browsers preload as HTTPS-only "
				     "(HSTS): Firefox refuses a certificate exception there, so "
				     "a certificate that needs one (self-signed with CA:TRUE, "
				     "without a SAN, or from a CA that is not approved) never "
				     "opens in Firefox. Approve the CA (--ca-file or a pin) or "
				     "give the server a certificate that says CA:FALSE and "
				     "names it in its SAN.",
				     hosts->v[i], tld));
	}
}

void uct_platform_doctor_notes(const struct uct_strv *hosts, struct uct_strv *notes)
{
	dw_chromium_policy(notes);
	dw_firefox_policy(notes);
	dw_firefox_version(notes);
	dw_hsts(hosts, notes);
}
