/*
 * platform.h: the one interface between the portable agent (agent/) and an
 * operating system. platform/linux implements it with libcurl, OpenSSL and
 * NSS; platform/win32 with WinHTTP and crypt32. Native types
 * (X509 *, CERTCertificate *, HCERTSTORE) never cross this line.
 */
#ifndef UCT_PLATFORM_H
#define UCT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "uct.h"
#include "uct_ini.h"

/* ---- certificates --------------------------------------------------- */

/* Parse one DER certificate. On success *out is a new cert owned by the
 * caller; on failure *out is NULL, err says why (UCT_E_PARSE). */
int uct_cert_parse(const unsigned char *der, size_t len, struct uct_cert **out,
		   struct uct_err *err);
/* Read every certificate of a PEM (or single DER) file, appended to chain.
 * Fails (UCT_E_IO / UCT_E_PARSE) when the file cannot be read or holds none. */
int uct_cert_read_file(const char *path, struct uct_chain *chain, struct uct_err *err);
/* The same from the len bytes at buf (named what in messages). */
int uct_cert_read_mem(const void *buf, size_t len, const char *what, struct uct_chain *chain,
		      struct uct_err *err);
/* 1 when child's signature verifies with issuer's public key and child's
 * issuer name equals issuer's subject; 0 otherwise. */
int uct_cert_signed_by(const struct uct_cert *child, const struct uct_cert *issuer);
/* The handle a parser keeps in struct uct_cert.native (X509 * with
 * OpenSSL, PCCERT_CONTEXT with crypt32): _ref returns one more reference
 * to it (the same pointer), _free releases one. Both NULL-safe; used by
 * uct_cert_dup and uct_cert_free. */
void *uct_cert_native_ref(void *native);
void uct_cert_native_free(void *native);
/* Free cert with its strings, arrays and native handle (cert_life.c).
 * NULL-safe. */
void uct_cert_free(struct uct_cert *cert);
/* A new, independent copy of cert (strings, arrays, DER, and another
 * reference to the native handle): freeing either leaves the other valid.
 * NULL when cert is NULL or memory runs out. Owned by the caller. */
struct uct_cert *uct_cert_dup(const struct uct_cert *cert);
/* Append cert to chain, which takes it, even on failure (then freed).
 * 0, or -1 when out of memory. */
int uct_chain_push(struct uct_chain *chain, struct uct_cert *cert);
/* Free every certificate of chain and empty it. NULL-safe. */
void uct_chain_clear(struct uct_chain *chain);

/* ---- network -------------------------------------------------------- */

enum uct_fetch_status {
	UCT_FETCH_NOT_RUN = 0,
	UCT_FETCH_OK,
	UCT_FETCH_DNS,     /* name did not resolve */
	UCT_FETCH_REFUSED, /* connection refused / host unreachable */
	UCT_FETCH_TIMEOUT, /* connect or total timeout */
	UCT_FETCH_TLS,     /* handshake failed (not a certificate verdict: verification is off) */
	UCT_FETCH_PROXY,   /* the proxy refused or failed */
	UCT_FETCH_ERROR,   /* anything else; detail says what */
};
/* Stable lower-case name: "ok", "dns", "refused", "timeout", "tls", ... */
const char *uct_fetch_status_name(enum uct_fetch_status s);

struct uct_net_opts {
	long connect_timeout_ms;
	long total_timeout_ms;
	/* curl's --connect-to syntax "HOST:PORT:CONNECT-HOST:CONNECT-PORT" */
	const struct uct_strv *connect_to;
	const char *proxy; /* NULL: the platform's default (libcurl: environment) */
};

/* One distinct host:port to handshake with. The caller fills host, port and
 * path; the fetch fills the rest and owns nothing of the caller's. */
struct uct_fetch_target {
	const char *host;
	int port;
	const char *path;
	enum uct_fetch_status status;
	char detail[256];       /* plain-language reason when status != OK */
	struct uct_chain chain; /* as sent by the server, leaf first; caller clears */
	long elapsed_ms;
};

/* Handshake with every target at once (peer verification off, SNI = host),
 * and record the chain each server sent. A host that does not answer costs
 * one connect timeout, not one per target. Returns -1 only when the fetch
 * could not run at all; per-target failures are statuses. */
int uct_fetch_chains(struct uct_fetch_target *targets, size_t n, const struct uct_net_opts *opts,
		     struct uct_err *err);

/* Download one certificate (DER or PEM) from an AIA caIssuers URL (http or
 * https), bounded by opts' timeouts and 64 KiB. *out owned by caller. */
int uct_fetch_issuer(const char *url, const struct uct_net_opts *opts, struct uct_cert **out,
		     struct uct_err *err);

/* ---- trust stores --------------------------------------------------- */

/*
 * How a certificate is trusted. The NSS flag strings are those of
 * `certutil -t`; DESIGN.md holds the table of what each browser accepts.
 */
enum uct_trust {
	UCT_TRUST_NONE = 0,
	UCT_TRUST_PEER,      /* "CP,,": a leaf that says CA:FALSE explicitly (v3) */
	UCT_TRUST_PEER_ONLY, /* "P,,": any other leaf (CA:TRUE unapproved, no
				basicConstraints, v1), as this server only */
	UCT_TRUST_ROOT,      /* "C,,": an approved CA that says CA:TRUE */
	UCT_TRUST_OVERRIDE,  /* Firefox cert_override.txt line for host:port */
};
const char *uct_trust_name(enum uct_trust t); /* "peer", "peer-only", "root", "override" */

enum uct_browser {
	UCT_BROWSER_CHROMIUM = 1, /* Chrome, Chromium (~/.pki/nssdb, snap) */
	UCT_BROWSER_FIREFOX = 2,
	UCT_BROWSER_SYSTEM = 4, /* system anchors, machine scope */
};
const char *uct_browser_name(enum uct_browser b);

/* What the agent asks a store to hold. */
struct uct_anchor {
	const struct uct_cert *cert;
	enum uct_trust trust;
	const char *host; /* endpoint host and port: used by overrides and */
	int port;         /* to build the tag; 0 for anchors shared by several */
};

/* 1 for a trust under which the certificate's key can act as an issuer in
 * some store: PEER (NSS "CP,,", Windows Root for a self-signed certificate,
 * the system anchors) and ROOT. */
int uct_trust_lets_sign(enum uct_trust trust);
/*
 * Every store's add calls this first: 0 when anchor's trust is within what
 * its certificate allows (uct_cert_may_be_issuer; a ROOT is taken as
 * approved), else -1 with UCT_E_USAGE and a message naming the store
 * (store_id), the certificate, why and what to do. Nothing is written.
 */
int uct_anchor_check(const struct uct_anchor *anchor, const char *store_id, struct uct_err *err);

/* The LocalMachine store of Windows an anchor goes to: ROOT (anchors,
 * issuers for every program), TrustedPeople (self-signed leaves trusted
 * for themselves by Chrome and Edge), CA (intermediates); NONE when no
 * Windows store may hold it (an override, or trust wider than the
 * certificate allows). */
enum uct_win_store { UCT_WIN_NONE = -1, UCT_WIN_ROOT = 0, UCT_WIN_PEOPLE, UCT_WIN_CA };
enum uct_win_store uct_win_store_for(const struct uct_anchor *anchor);

/* ---- doctor ----------------------------------------------------------- */

/*
 * What on this PC undoes the trust the agent installs (an administrator's
 * browser policy, a browser too old for what the agent writes, a server
 * name where Firefox takes no exception), for `uccx-trust doctor`: each
 * finding is one plain sentence with its fix, pushed to notes. hosts are
 * the configured server names. Reads only; what cannot be read is not
 * reported. Linux: nothing (its stores are the browsers' own).
 */
void uct_platform_doctor_notes(const struct uct_strv *hosts, struct uct_strv *notes);

/* The top-level domain of host when browsers preload it whole as
 * HTTPS-only (HSTS), where Firefox refuses certificate exceptions; NULL
 * otherwise. Borrowed from a static table (platform/common/hsts.c). */
const char *uct_hsts_preloaded_tld(const char *host);

/* One object the agent itself installed earlier (recognised by its tag). */
struct uct_store_entry {
	unsigned char sha256[UCT_SHA256_LEN];
	enum uct_trust trust;
	const char *label; /* the tag, e.g. NSS nickname; borrowed for the callback */
	const char *host;  /* overrides only, else NULL */
	int port;
};
/*
 * What a store's list op calls for each entry. It returns 0 to go on,
 * UCT_LIST_STOP to end the walk early (the list op then succeeds), or -1
 * with err filled when it failed (out of memory while collecting): the
 * list op then fails with that error, so nothing is planned on half a list.
 */
#define UCT_LIST_STOP 1
typedef int (*uct_entry_cb)(const struct uct_store_entry *entry, void *ctx, struct uct_err *err);
/* Call cb for entry as a list op does: its result (0, UCT_LIST_STOP or -1),
 * with err filled whenever it is -1, even by a callback that forgot to. */
int uct_entry_call(uct_entry_cb cb, const struct uct_store_entry *entry, void *ctx,
		   struct uct_err *err);

struct uct_verify_result {
	int trusted;   /* 1: the store accepts the chain for host */
	char code[64]; /* native error name when not, e.g. "SEC_ERROR_UNKNOWN_ISSUER" */
	char detail[256];
};

struct uct_store;
/* What a store can do, for the run to ask (uct_store_ops.caps). */
/* The store cannot make a browser trust a CA-issued server certificate by
 * itself, only through its CA: Chrome and Edge read a leaf from Windows'
 * TrustedPeople only when it is self-signed (Chromium's
 * trust_store_win.cc), and nothing else holds a leaf there. */
#define UCT_STORE_NO_CA_ISSUED_LEAF 0x1u
/* Each entry is an exception for one host and port (Firefox's
 * cert_override.txt), not a certificate for every name it carries: the
 * store is no certificate database of its profile. */
#define UCT_STORE_BY_HOST 0x2u
/* The store has no room for a tag: an entry is ours only when the state
 * recorded it, and nothing found there is adopted. */
#define UCT_STORE_UNTAGGED 0x4u
/* A write refused because the browser runs (UCT_E_LOCKED) waits for the
 * next run instead of failing: the browser would overwrite it on exit. */
#define UCT_STORE_DEFER_BUSY 0x8u
/* The store trusts for every program and user of the PC (the system
 * anchors, Firefox's policies.json, /etc/pki/nssdb), so it takes less than
 * a browser's own database (DESIGN.md, "Trust safety"). The Windows stores
 * are machine-wide too but place each certificate by its trust themselves
 * (Root, TrustedPeople, CA): they take the browser's rule. */
#define UCT_STORE_MACHINE 0x10u
/* The store's verify reports what its trust says and nothing more: a
 * browser's own refusals (Firefox and a CA:TRUE server certificate, any
 * browser and one without SAN) are the analysis' to apply on top. */
#define UCT_STORE_TRUST_ONLY 0x20u

struct uct_store_ops {
	const char *name;  /* for people and records only; never compared */
	unsigned int caps; /* UCT_STORE_ bits every store of this kind has */
	/* Open for reading (rw=0) or writing (rw=1). A busy database is retried
	 * for a bounded time, then UCT_E_LOCKED. Opening twice is a no-op unless
	 * upgrading to rw. At most one store is open at a time in a process
	 * (NSS contexts must not overlap). */
	int (*open)(struct uct_store *, int rw, struct uct_err *);
	/* Call cb for each entry the agent installed (tagged), through
	 * uct_entry_call: UCT_LIST_STOP from cb ends the walk with 0, -1 from
	 * cb ends it with -1 and cb's err. A store that cannot finish the walk
	 * fails (-1 with err), never returns 0 on a part of its entries. */
	int (*list)(struct uct_store *, uct_entry_cb cb, void *ctx, struct uct_err *);
	/* Install anchor; replaces the trust of an identical cert already there. */
	int (*add)(struct uct_store *, const struct uct_anchor *, struct uct_err *);
	/* Remove the object matching anchor->cert (and its trust), only if tagged
	 * as ours; removing what is absent succeeds. */
	int (*remove)(struct uct_store *, const struct uct_anchor *, struct uct_err *);
	/* Would this store let a browser accept chain for host:port now? */
	int (*verify)(struct uct_store *, const struct uct_chain *chain, const char *host, int port,
		      struct uct_verify_result *out, struct uct_err *);
	/* Optional (NULL: answers of this store are never kept between runs).
	 * A digest of everything list and verify depend on (the store's
	 * content, the library's version), read while the store is closed; -1
	 * when it cannot be summed up now (a write in progress). */
	int (*digest)(struct uct_store *, unsigned char out[UCT_SHA256_LEN], struct uct_err *);
	/* Optional (NULL: nothing to tidy). Remove what writes of the agent
	 * that were killed before their rename left next to the store
	 * (temporary files and directories, whose writer is gone); failures
	 * are only logged. The run calls it on remove, which leaves nothing
	 * of ours even where it had nothing else to change. */
	void (*tidy)(struct uct_store *);
	/* Optional (NULL: nothing to follow). Called by the run after it wrote
	 * the store, still open for writing: a browser setting that depends on
	 * what the store holds follows it (Windows: Firefox's
	 * ImportEnterpriseRoots policy is on while the machine's Root or CA
	 * store holds a certificate of the agent, and taken away after, when
	 * the agent set it). Failures are only logged. */
	void (*update_browser_policy)(struct uct_store *);
	/* Release native handles (committing what was written); nothing else
	 * changes. The store can be opened again later. NULL-safe. */
	void (*close)(struct uct_store *);
	/* Free the store itself (calls close first). NULL-safe. */
	void (*destroy)(struct uct_store *);
};

struct uct_store {
	const struct uct_store_ops *ops;
	char *id;          /* stable, for state and reports: "nss:/home/u/.pki/nssdb" */
	char *path;        /* the directory or file */
	char *group;       /* the browser profile this store belongs to: "chromium",
			  "firefox:default-release" (a profile's NSS db and its
			  override file share a group) */
	const char *label; /* for people, when the group says nothing to them
			      ("Firefox's machine policy"); NULL: the group */
	enum uct_browser browser;
	int busy;          /* Firefox running on this profile: overrides would be lost */
	int created;       /* the store did not exist and will be created on first write */
	unsigned int caps; /* UCT_STORE_ bits of this store beyond its kind's */
	void *impl;
};

/* 1 when the store has every capability in caps (UCT_STORE_ bits), from its
 * kind (ops->caps) and its own (caps). The run asks this, never a name. */
int uct_store_supports(const struct uct_store *store, unsigned int caps);

/* User scope: one user's browsers (run as that user). Machine scope: the
 * machine's stores only (run as root), never a file in a user's home. */
enum uct_store_scope { UCT_STORES_USER = 0, UCT_STORES_MACHINE };

/* Where to look. home NULL means $HOME. */
struct uct_discover_opts {
	enum uct_store_scope scope;
	const char *home;
	const struct uct_strv *nss_dbs; /* explicit databases: when non-empty, only these */
	unsigned browsers;              /* mask of enum uct_browser; 0 = all */
	int create_chromium_db;         /* create ~/.pki/nssdb when missing (on first write) */
	int quiet;                      /* unattended: never a store that asks the user
					   (Windows' CurrentUser\\Root); refused with UCT_E_USAGE */
	struct uct_strv *problems;      /* NULL, or where a store found but refused (a
					   profile under another user's directory or
					   link) is described for the report */
};

/* Find the stores of this user (and machine, for UCT_BROWSER_SYSTEM when
 * running as root). *out is an array of *n stores owned by the caller; free
 * with uct_stores_free(). Unreadable locations are skipped with a log line. */
int uct_stores_discover(const struct uct_discover_opts *opts, struct uct_store ***out, size_t *n,
			struct uct_err *err);
void uct_stores_free(struct uct_store **stores, size_t n);

/* An NSS database store for one directory (used by discovery and tests). */
struct uct_store *uct_store_nss_new(const char *dir, const char *group, enum uct_browser browser,
				    struct uct_err *err);
/* A Firefox cert_override.txt store for one profile directory. */
struct uct_store *uct_store_override_new(const char *profile_dir, const char *group,
					 struct uct_err *err);

/* The system anchors: one tagged PEM file per certificate in anchor_dir,
 * then update_argv (at most 3 words, e.g. {"update-ca-certificates", NULL})
 * before the next verification or at close. links_dir (NULL: none) is
 * where that command links each file and never unlinks a removed one
 * (Debian's /etc/ssl/certs): remove takes those links out. Group "system".
 * A run stopped before the command succeeded leaves a note in anchor_dir
 * (uccx-trust-update-owed): the next open owes the command and runs it. */
struct uct_store *uct_store_system_new(const char *anchor_dir, const char *links_dir,
				       const char *const *update_argv, struct uct_err *err);
/* Firefox's machine-wide policies.json (Certificates.Install): PEM files in
 * cert_dir, listed in policy_file, other policies kept. Group
 * "firefox-policy"; Firefox reads it when it starts. A file is written
 * before the policy lists it and unlisted before it is removed; open takes
 * out files of ours that the policy does not list (a remove stopped
 * between the two). */
struct uct_store *uct_store_ffpolicy_new(const char *policy_file, const char *cert_dir,
					 struct uct_err *err);

/* ---- files, configuration, locking ---------------------------------- */

/* Parse an INI file in the dialect of uct_ini.h, calling handler(section,
 * key, value, line) for every pair; a non-zero return from handler stops
 * the parse and is returned. Fails with UCT_E_IO when the file cannot be
 * read, UCT_E_CONFIG with the line number when the syntax is bad. */
int uct_ini_parse(const char *path, uct_ini_handler handler, void *ctx, struct uct_err *err);
/* The same for a file another program writes (Firefox's profiles.ini): a
 * line that does not parse is logged and skipped instead of failing. */
int uct_ini_parse_lenient(const char *path, uct_ini_handler handler, void *ctx,
			  struct uct_err *err);

/* Write data to path atomically (temp file in the same directory, fsync,
 * rename), creating parent directories with mode 0700. Never follows a
 * symlink at path. */
int uct_file_write_atomic(const char *path, const void *data, size_t len, int mode,
			  struct uct_err *err);
/* The same without waiting for the disk: a reader sees the old or the new
 * content, but a power cut may lose both. For files whose loss costs
 * nothing (the verification cache, the last run's outcome). */
int uct_file_write_replace(const char *path, const void *data, size_t len, int mode,
			   struct uct_err *err);
/* Read a whole file (at most max bytes) into a new NUL-terminated buffer. */
int uct_file_read(const char *path, size_t max, char **out, size_t *len, struct uct_err *err);

/* Exclusive run lock. Waits up to wait_ms for another run to finish, then
 * fails with UCT_E_LOCKED. *out owned by caller, release with uct_lock_release. */
struct uct_lock;
int uct_lock_acquire(const char *path, long wait_ms, struct uct_lock **out, struct uct_err *err);
void uct_lock_release(struct uct_lock *lock); /* NULL-safe */

/* Default directories: per-user state (~/.local/state/uccx-trust), or the
 * machine's (/var/lib/uccx-trust) when running as root. Newly allocated. */
char *uct_default_state_dir(void);
/* The state directory of a home given with --home: the state (approvals,
 * what was installed where) stays with the home it describes, never mixed
 * with the machine's or the caller's own. Linux: HOME/.local/state/uccx-trust
 * (a relative home taken from the working directory); Windows, where
 * --home selects nothing, the default. Newly allocated. */
char *uct_home_state_dir(const char *home);
/* Default configuration file (/etc/uccx-trust/agent.ini). Static string. */
const char *uct_default_config_path(void);
/* 1 when running with administrator / root rights. */
int uct_is_privileged(void);
/* Host name, user name, OS description: newly allocated. */
char *uct_host_name(void);
char *uct_user_name(void);
char *uct_os_name(void);
/* Wall clock, seconds since the epoch, and a monotonic clock in ms. */
int64_t uct_now(void);
int64_t uct_monotonic_ms(void);

/* ---- reporting to the collector ------------------------------------- */

/* Fill buf with n bytes from the system's secure random source. */
int uct_random_bytes(void *buf, size_t n, struct uct_err *err);

/* One HTTPS POST of a JSON body. */
struct uct_http_post {
	const char *url;
	const char *token;   /* sent as "Authorization: Bearer TOKEN"; NULL: none */
	const char *ca_file; /* the collector's CA or certificate; NULL: the system's trust */
	const char *pin;     /* "sha256//BASE64[;...]": the server's public key must match
			      * one (on top of the chain check); NULL: no pin */
	const char *body;
	size_t len;
	long timeout_ms; /* the whole request, connection included */
	const struct uct_strv *connect_to;
	const char *proxy; /* NULL: the platform's default */
};
/* Send req. On a completed exchange returns 0 with the HTTP status in
 * *status (whatever it is); -1 when no answer came (UCT_E_NET: refused,
 * timeout, TLS or certificate failure, with the reason in err). */
int uct_http_post(const struct uct_http_post *req, long *status, struct uct_err *err);

/* One GET of a document (the collector's trust document), with the same
 * token, trust and routing as a report. */
struct uct_http_get {
	const char *url;
	const char *token;   /* sent as "Authorization: Bearer TOKEN"; NULL: none */
	const char *ca_file; /* as in uct_http_post */
	const char *pin;     /* as in uct_http_post */
	size_t max_len;      /* a longer body fails the request */
	long connect_timeout_ms;
	long timeout_ms; /* the whole request, connection included */
	const struct uct_strv *connect_to;
	const char *proxy; /* NULL: the platform's default */
};
/* GET req->url. On a completed exchange returns 0 with the HTTP status in
 * *status and the body, whatever the status, in *body (NUL-terminated,
 * *len bytes, owned by the caller). -1 when no complete answer came
 * (UCT_E_NET: refused, timeout, TLS or certificate failure, or a body over
 * max_len, each named in err); *body is then NULL. */
int uct_http_get(const struct uct_http_get *req, long *status, char **body, size_t *len,
		 struct uct_err *err);

/* 0 when the agent may trust what it reads from dir and write into it:
 * Linux, every directory on the way belongs to this user or root and is
 * writable by no one else (sticky ones excepted), and every link followed
 * belongs to this user or root (a dir that does not exist yet: its existing
 * ancestors); else -1 with err saying which part and why. Windows: 0. */
int uct_dir_check(const char *dir, struct uct_err *err);
/* Remove from dir, a directory of the agent's own, the temporary files of
 * any name that atomic writes (below) killed before their rename left,
 * their writer gone; failures are only logged. */
void uct_dir_tidy(const char *dir);
/* The names of the regular files in dir, sorted (the caller clears
 * names). A missing directory is an empty list. */
int uct_dir_list(const char *dir, struct uct_strv *names, struct uct_err *err);
/* Remove a file; a missing one is not an error. */
int uct_file_remove(const char *path, struct uct_err *err);

/*
 * End of the network phase: the fetch, AIA and report functions above load
 * their HTTP library on first use; this unloads it. On Linux that is
 * libcurl with its dependency tree (about 4 MiB of pages), so the NSS store
 * calls it before it loads NSS, where the run's memory peaks. A later
 * network call loads the library again. Call it only while no network call
 * is running. Safe to call at any time otherwise, and repeatedly.
 */
void uct_net_release(void);

/* ---- threads ---------------------------------------------------------- */

/* A thread of the agent's own: the trust document is fetched on one while
 * the servers' handshakes run on the calling thread. */
struct uct_thread;
/* Run fn(arg) on a new thread; *out is the caller's, who must join it.
 * -1 with UCT_E_SYSTEM (and *out NULL) when no thread can be started. */
int uct_thread_start(void (*fn)(void *arg), void *arg, struct uct_thread **out,
		     struct uct_err *err);
/* Wait until the thread's function has returned, then free it. NULL-safe. */
void uct_thread_join(struct uct_thread *thread);

/* ---- signatures ------------------------------------------------------- */

/*
 * 0 when sig_der (sig_len bytes, the DER SEQUENCE { r, s } that
 * `openssl dgst -sha256 -sign` writes) is a valid ECDSA signature over NIST
 * P-256 with SHA-256 of the len bytes at data, by the key pubkey_pem (a PEM
 * SubjectPublicKeyInfo). Linux checks with OpenSSL, Windows with BCrypt.
 * -1 otherwise: UCT_E_CONFIG when the key is not a P-256 public key in PEM,
 * UCT_E_CRYPTO when the signature is malformed or does not verify.
 */
int uct_sig_verify_p256(const char *pubkey_pem, const void *data, size_t len,
			const unsigned char *sig_der, size_t sig_len, struct uct_err *err);
/* 0 when pubkey_pem is a PEM SubjectPublicKeyInfo of an ECDSA P-256 key
 * that uct_sig_verify_p256 takes; else -1 with UCT_E_CONFIG. For checking
 * a configured key before any document arrives. */
int uct_sig_check_key_p256(const char *pubkey_pem, struct uct_err *err);
/* The key id of a P-256 public key in PEM: SHA-256 of its uncompressed
 * point (the 65 bytes 04 || X || Y), which the collector writes into each
 * document as "key_id" so that a PC can tell a document signed by another
 * key from a tampered one. -1 with UCT_E_CONFIG when it is no such key. */
int uct_sig_key_id(const char *pubkey_pem, unsigned char id[UCT_SHA256_LEN], struct uct_err *err);

/* ---- the collector's signed trust document (trustdoc.c) ---------------- */

enum uct_trust_kind {
	UCT_TRUST_KIND_ENDPOINT, /* a certificate at HOST:PORT */
	UCT_TRUST_KIND_HOST,     /* a certificate at every port of HOST */
	UCT_TRUST_KIND_CA,       /* certificates a CA issued, for hosts */
};
struct uct_trust_approval {
	int64_t id;
	enum uct_trust_kind kind;
	char *host;                 /* endpoint, host: the DNS name; NULL for ca */
	unsigned int port;          /* endpoint: 1-65535; else 0 */
	struct uct_strv hosts;      /* ca: the hosts it is approved for */
	char *ca_pem;               /* ca: the CA certificate */
	char sha256[UCT_FP_STRLEN]; /* "AB:CD:...": the certificate's (the CA's) */
	int64_t approved_at;        /* seconds since the epoch */
};
/* A checked document: what it approves, in the collector's order. */
struct uct_trustdoc {
	int64_t serial, issued_at, expires_at;
	struct uct_trust_approval *approvals;
	size_t n;
};
/* Why a document is refused: each has its own message in err. */
enum uct_trustdoc_fault {
	UCT_TRUSTDOC_OK = 0,
	UCT_TRUSTDOC_MALFORMED,     /* not a version 1 trust document */
	UCT_TRUSTDOC_BAD_SIGNATURE, /* changed after it was signed */
	UCT_TRUSTDOC_BAD_KEY,       /* the configured key is no P-256 public key */
	UCT_TRUSTDOC_EXPIRED,       /* now >= expires_at */
	UCT_TRUSTDOC_NOT_YET,       /* issued more than the skew after now */
	UCT_TRUSTDOC_SERIAL_BACK,   /* a lower serial than the last accepted */
	UCT_TRUSTDOC_NOMEM,
	UCT_TRUSTDOC_NONE,      /* no document at all: none fetched, none kept */
	UCT_TRUSTDOC_OTHER_KEY, /* its key_id names another key than the PC's */
};
/* The clock difference allowed between collector and PC, seconds. */
#define UCT_TRUSTDOC_SKEW 300
/*
 * Checks the len bytes at body, a trust document (docs/report-schema.md),
 * against the PEM public key key_pem: its signature over the canonical
 * bytes recomputed from the parsed document, expires_at > now >= issued_at -
 * UCT_TRUSTDOC_SKEW, and serial >= last_serial (equal: the same document
 * again). On success *out is the document, owned by the caller
 * (uct_trustdoc_free), and *fault UCT_TRUSTDOC_OK. On failure -1, *out
 * NULL, *fault says why and err says it for a person.
 */
int uct_trustdoc_check(const char *body, size_t len, const char *key_pem, int64_t last_serial,
		       int64_t now, struct uct_trustdoc **out, enum uct_trustdoc_fault *fault,
		       struct uct_err *err);
void uct_trustdoc_free(struct uct_trustdoc *doc); /* NULL-safe */
/* A fault's stable name ("bad-signature", ...) for reports; static. */
const char *uct_trustdoc_fault_name(enum uct_trustdoc_fault fault);

/* The operating system's log sink for main() to pass to uct_log_set_sink()
 * (log.h), with its context in *ctx: Linux, stderr; Windows, stderr plus the
 * Event Log (source "uccx-trust") and agent.log in the state directory.
 * Never fails: a part that cannot be opened is skipped. */
uct_log_sink uct_platform_log_sink(void **ctx);

/* Process set-up (signals) and clean-up before exit (nothing at present:
 * the exit itself unmaps a network library still loaded). */
int uct_platform_init(struct uct_err *err);
void uct_platform_cleanup(void);

#endif
