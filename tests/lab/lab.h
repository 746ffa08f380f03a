/*
 * lab.h: the shared model of uccx-lab, a simulated UCCX deployment on
 * loopback: hosts, the identities (key + chain) they serve, and the
 * certificate scenarios. lab_certs.c builds identities; uccx-lab.c serves them.
 */
#ifndef UCT_LAB_H
#define UCT_LAB_H

#include <stdbool.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define LAB_NHOSTS 3
#define LAB_MAX_IDS 2 /* per host: Tomcat and the notification service */
#define LAB_NAME_MAX 256

/* How one host's certificates are made (a scenario picks one per host). */
enum lab_profile {
	LAB_SELFSIGNED = 0,    /* self-signed, CA:FALSE, SAN = host */
	LAB_SELFSIGNED_CA,     /* self-signed, CA:TRUE (the Cisco appliance style) */
	LAB_PRIVATE_CA,        /* root -> issuing CA -> leaf; server sends all three */
	LAB_PRIVATE_CA_NOROOT, /* same, the server sends leaf + issuing CA */
	LAB_NOSAN,             /* self-signed, CN only */
	LAB_EXPIRED,           /* self-signed, expired 30 days ago */
	LAB_WRONGNAME,         /* self-signed for wrong.DOMAIN */
	LAB_NOBC,              /* self-signed v3 with SAN, no basicConstraints nor keyUsage */
	LAB_V1,                /* self-signed X.509 v1: no extensions, so no SAN */
	LAB_PRIVATE_CA_NOBC,   /* private CA (all three sent), leaf as LAB_NOBC */
};

enum lab_keytype { LAB_RSA2048 = 0, LAB_RSA1024, LAB_EC256 };

/* One key and the chain served with it, shared by one or more ports. */
struct lab_identity {
	char stem[LAB_NAME_MAX + 32]; /* file stem: "uccx1.lab.example-tomcat" */
	const struct lab_host *host;
	EVP_PKEY *key;
	X509 *leaf;
	STACK_OF(X509) * extra; /* certificates sent after the leaf */
	bool key_loaded;        /* read from DIR (--keep-keys) */
};

struct lab_host {
	char name[LAB_NAME_MAX];
	char ip[16]; /* where its listeners bind */
	enum lab_profile profile;
	enum lab_keytype keytype;
	bool stall, down;
	bool no_http; /* completes TLS, never answers HTTP */
	int nids;
	struct lab_identity ids[LAB_MAX_IDS];
};

/* The private CA pair, used by the private-ca profiles. */
struct lab_ca {
	EVP_PKEY *root_key, *issuing_key;
	X509 *root, *issuing;
	bool root_key_loaded, issuing_key_loaded;
};

/* What the command line asks of certificate generation. */
struct lab_certopts {
	const char *out; /* output directory (keys go to OUT/keys) */
	const char *domain;
	const char *scenario;
	bool keep_keys; /* reuse keys (and unchanged chains) found in OUT */
	bool renew;     /* reuse keys, issue new leaves */
	int days_left;  /* < 0: default validity; else leaves expire in N days */
};

/*
 * Fill hosts[] (names, profiles, key types) for a scenario. Returns 0, or -1
 * for an unknown scenario name.
 */
int lab_scenario_apply(const char *scenario, const char *domain, struct lab_host hosts[LAB_NHOSTS]);
/* Space-separated list of scenario names (static string). */
const char *lab_scenario_names(void);

/*
 * Make (or reuse, per opts) every key and certificate the hosts need and
 * write them to opts->out: keys/ (0600), <stem>.pem chains, ca.pem,
 * issuing-ca.pem. Returns 0, or -1 after printing why to stderr. The hosts
 * and ca own what is made; free with lab_certs_free().
 */
int lab_certs_make(const struct lab_certopts *opts, struct lab_host hosts[LAB_NHOSTS],
		   struct lab_ca *ca);
/* Release keys and certificates held by hosts and ca (NULL-safe). */
void lab_certs_free(struct lab_host hosts[LAB_NHOSTS], struct lab_ca *ca);

/*
 * Replace identity id (index 0: Tomcat, 1: notification) with a new key of
 * its host's key type and a new leaf of its host's profile (self-signed, or
 * from ca for the private-CA profiles), as an administrator regenerating a
 * certificate does. The old key and chain are released (TLS contexts made
 * from them keep their own references). 0, or -1 (message on stderr, id
 * unchanged).
 */
int lab_identity_regenerate(const struct lab_certopts *opts, struct lab_identity *id,
			    const struct lab_ca *ca, int index);

/*
 * Write "<host>-<port>.pem" (the chain as sent) for one listener. Returns 0
 * or -1 (message on stderr).
 */
int lab_chain_write(const char *dir, const char *host, int port, const struct lab_identity *id);
/* SHA-256 of the leaf as "AA:BB:..." into buf (at least 96 bytes). */
void lab_fingerprint(X509 *cert, char *buf, size_t len);

/*
 * A TLS 1.2/1.3 server context serving id's key and chain (the caller owns
 * it: SSL_CTX_free). NULL on failure, with the reason on stderr.
 */
SSL_CTX *lab_identity_ctx(const struct lab_identity *id);

/* ---- the process (lab_proc.c) ---- */

/* A monotonic clock in milliseconds. */
long lab_now_ms(void);
/* The pid in DIR/lab.pid, 0 when none. */
pid_t lab_pid_read(const char *dir);
/* True when pid is a live (not zombie) uccx-lab process. */
bool lab_pid_is_lab(pid_t pid);
/* Remove DIR's ready, lab.pid and regenerated. */
void lab_files_remove(const char *dir);
/* --stop: SIGTERM to the lab of dir, waited for (bounded); 0 when stopped. */
int lab_stop(const char *dir);
/* Write this process's pid into DIR/name. */
int lab_mark(const char *dir, const char *name);
/* --daemon: the parent waits (bounded) for 'ready'; the child detaches. */
int lab_daemon_wait(const char *dir, pid_t child);
int lab_daemon_detach(const char *dir);

/* Write data to path atomically (temp file + rename) with the given mode. */
int lab_write_file(const char *path, const char *data, size_t len, int mode);

#endif
