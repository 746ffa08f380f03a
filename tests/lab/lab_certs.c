/*
 * lab_certs.c: the lab's keys and certificates: scenarios, key generation
 * (in parallel, since RSA keys are most of the start-up time), issuing,
 * reuse of keys and chains kept in the output directory, and PEM output.
 */
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define DAY (24L * 3600L)

static const struct {
	const char *name;
	enum lab_profile profile[LAB_NHOSTS]; /* uccx1, uccx2, socialminer */
	enum lab_keytype keytype;
} lab_scenarios[] = {
	{"selfsigned", {LAB_SELFSIGNED, LAB_SELFSIGNED, LAB_SELFSIGNED}, LAB_RSA2048},
	{"selfsigned-ca", {LAB_SELFSIGNED_CA, LAB_SELFSIGNED_CA, LAB_SELFSIGNED_CA}, LAB_RSA2048},
	{"private-ca", {LAB_PRIVATE_CA, LAB_PRIVATE_CA, LAB_PRIVATE_CA}, LAB_RSA2048},
	{"private-ca-noroot",
	 {LAB_PRIVATE_CA_NOROOT, LAB_PRIVATE_CA_NOROOT, LAB_PRIVATE_CA_NOROOT},
	 LAB_RSA2048},
	{"nosan", {LAB_NOSAN, LAB_NOSAN, LAB_NOSAN}, LAB_RSA2048},
	{"expired", {LAB_EXPIRED, LAB_EXPIRED, LAB_EXPIRED}, LAB_RSA2048},
	{"wrongname", {LAB_WRONGNAME, LAB_WRONGNAME, LAB_WRONGNAME}, LAB_RSA2048},
	{"rsa1024", {LAB_SELFSIGNED, LAB_SELFSIGNED, LAB_SELFSIGNED}, LAB_RSA1024},
	{"ecdsa", {LAB_SELFSIGNED, LAB_SELFSIGNED, LAB_SELFSIGNED}, LAB_EC256},
	{"mixed", {LAB_SELFSIGNED, LAB_PRIVATE_CA, LAB_SELFSIGNED_CA}, LAB_RSA2048},
	{"nobc", {LAB_NOBC, LAB_NOBC, LAB_NOBC}, LAB_RSA2048},
	{"v1", {LAB_V1, LAB_V1, LAB_V1}, LAB_RSA2048},
	{"private-ca-nobc",
	 {LAB_PRIVATE_CA_NOBC, LAB_PRIVATE_CA_NOBC, LAB_PRIVATE_CA_NOBC},
	 LAB_RSA2048},
};

static const char *const lab_host_prefix[LAB_NHOSTS] = {"uccx1", "uccx2", "socialminer"};

static void lab_ossl_err(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "no OpenSSL detail";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	fprintf(stderr, "uccx-lab: %s: %s\n", what, buf);
	ERR_clear_error();
}

int lab_scenario_apply(const char *scenario, const char *domain, struct lab_host hosts[LAB_NHOSTS])
{
	for (size_t i = 0; i < sizeof(lab_scenarios) / sizeof(lab_scenarios[0]); i++) {
		if (strcmp(scenario, lab_scenarios[i].name) != 0)
			continue;
		for (int h = 0; h < LAB_NHOSTS; h++) {
			struct lab_host *host = &hosts[h];

			snprintf(host->name, sizeof(host->name), "%s.%s", lab_host_prefix[h],
				 domain);
			host->profile = lab_scenarios[i].profile[h];
			host->keytype = lab_scenarios[i].keytype;
			/* Real UCCX nodes serve Tomcat's certificate on 443, 8445,
			 * 8444 and 12015 and a different one on 7443. */
			host->nids = h < 2 ? 2 : 1;
			for (int k = 0; k < host->nids; k++) {
				snprintf(host->ids[k].stem, sizeof(host->ids[k].stem), "%s-%s",
					 host->name, k == 0 ? "tomcat" : "notification");
				host->ids[k].host = host;
			}
		}
		return 0;
	}
	return -1;
}

const char *lab_scenario_names(void)
{
	return "selfsigned selfsigned-ca private-ca private-ca-noroot nosan expired "
	       "wrongname rsa1024 ecdsa mixed nobc v1 private-ca-nobc";
}

int lab_write_file(const char *path, const char *data, size_t len, int mode)
{
	char tmp[4096];
	int fd;
	size_t done = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		goto err;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err_fd;
		done += (size_t)n;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0)
		goto err_unlink;
	return 0;
err_fd:
	close(fd);
err_unlink:
	unlink(tmp);
err:
	fprintf(stderr, "uccx-lab: cannot write %s: %s\n", path, strerror(errno));
	return -1;
}

/* ---- keys ------------------------------------------------------------- */

struct lab_keyjob {
	EVP_PKEY **slot;
	bool *loaded;
	enum lab_keytype type;
	char path[4096];
};

struct lab_keypool {
	struct lab_keyjob *jobs;
	int njobs;
	int next;
	pthread_mutex_t lock;
};

/*
 * RSA-2048 keys are made with three primes (RFC 8017 multi-prime RSA):
 * the public key, the certificate and every handshake look exactly like
 * two-prime RSA to a client, but generation is about 3.5 times faster, and
 * start-up time is almost all key generation.
 */
static EVP_PKEY *lab_rsa_generate(unsigned int bits, int primes)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;

	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_primes(ctx, primes) <= 0 ||
	    EVP_PKEY_keygen(ctx, &key) <= 0) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static EVP_PKEY *lab_key_generate(enum lab_keytype type)
{
	switch (type) {
	case LAB_RSA1024: return lab_rsa_generate(1024, 2);
	case LAB_EC256: return EVP_EC_gen("P-256");
	case LAB_RSA2048:
	default: return lab_rsa_generate(2048, 3);
	}
}

static bool lab_key_fits(EVP_PKEY *key, enum lab_keytype type)
{
	if (type == LAB_EC256)
		return EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == 256;
	return EVP_PKEY_is_a(key, "RSA") &&
	       EVP_PKEY_get_bits(key) == (type == LAB_RSA1024 ? 1024 : 2048);
}

/* Reads a key kept by an earlier run; NULL when absent or of another type. */
static EVP_PKEY *lab_key_load(const char *path, enum lab_keytype type)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *key;

	if (!f)
		return NULL;
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key && !lab_key_fits(key, type)) {
		fprintf(stderr,
			"uccx-lab: %s is not the key type this scenario needs; "
			"making a new one\n",
			path);
		EVP_PKEY_free(key);
		key = NULL;
	}
	ERR_clear_error();
	return key;
}

static void *lab_keypool_run(void *arg)
{
	struct lab_keypool *pool = arg;

	for (;;) {
		int i;

		pthread_mutex_lock(&pool->lock);
		i = pool->next++;
		pthread_mutex_unlock(&pool->lock);
		if (i >= pool->njobs)
			return NULL;
		if (!*pool->jobs[i].slot)
			*pool->jobs[i].slot = lab_key_generate(pool->jobs[i].type);
	}
}

/* Generates the missing keys on every core: RSA key generation dominates
 * the start-up time, and the keys are independent. */
static void lab_keypool_generate(struct lab_keyjob *jobs, int njobs)
{
	struct lab_keypool pool = {.jobs = jobs, .njobs = njobs};
	pthread_t threads[8];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = cores < 1 ? 1 : cores > 8 ? 8 : (int)cores;
	int started = 0;

	pthread_mutex_init(&pool.lock, NULL);
	if (nthreads > njobs)
		nthreads = njobs;
	for (int t = 1; t < nthreads; t++)
		if (pthread_create(&threads[started], NULL, lab_keypool_run, &pool) == 0)
			started++;
	lab_keypool_run(&pool);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_mutex_destroy(&pool.lock);
}

static int lab_key_write(const char *path, EVP_PKEY *key)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (!mem || !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)) {
		lab_ossl_err("cannot encode key");
		goto out;
	}
	len = BIO_get_mem_data(mem, &data);
	rc = lab_write_file(path, data, (size_t)len, 0600);
out:
	BIO_free(mem);
	return rc;
}

static bool lab_private_ca(enum lab_profile profile)
{
	return profile == LAB_PRIVATE_CA || profile == LAB_PRIVATE_CA_NOROOT ||
	       profile == LAB_PRIVATE_CA_NOBC;
}

static bool lab_uses_ca(const struct lab_host hosts[LAB_NHOSTS])
{
	for (int h = 0; h < LAB_NHOSTS; h++)
		if (lab_private_ca(hosts[h].profile))
			return true;
	return false;
}

static void lab_job_add(struct lab_keyjob *jobs, int *n, const struct lab_certopts *opts,
			EVP_PKEY **slot, bool *loaded, enum lab_keytype type, const char *stem)
{
	struct lab_keyjob *job = &jobs[(*n)++];

	job->slot = slot;
	job->loaded = loaded;
	job->type = type;
	snprintf(job->path, sizeof(job->path), "%s/keys/%s.key", opts->out, stem);
}

/* Loads (--keep-keys, --renew) or generates every key, then writes new ones. */
static int lab_keys_make(const struct lab_certopts *opts, struct lab_host hosts[LAB_NHOSTS],
			 struct lab_ca *ca)
{
	struct lab_keyjob jobs[LAB_NHOSTS * LAB_MAX_IDS + 2];
	int n = 0;

	for (int h = 0; h < LAB_NHOSTS; h++)
		for (int k = 0; k < hosts[h].nids; k++)
			lab_job_add(jobs, &n, opts, &hosts[h].ids[k].key,
				    &hosts[h].ids[k].key_loaded, hosts[h].keytype,
				    hosts[h].ids[k].stem);
	if (lab_uses_ca(hosts)) {
		lab_job_add(jobs, &n, opts, &ca->root_key, &ca->root_key_loaded, LAB_RSA2048,
			    "root-ca");
		lab_job_add(jobs, &n, opts, &ca->issuing_key, &ca->issuing_key_loaded, LAB_RSA2048,
			    "issuing-ca");
	}
	for (int i = 0; i < n; i++) {
		if (opts->keep_keys || opts->renew)
			*jobs[i].slot = lab_key_load(jobs[i].path, jobs[i].type);
		*jobs[i].loaded = *jobs[i].slot != NULL;
	}
	lab_keypool_generate(jobs, n);
	for (int i = 0; i < n; i++) {
		if (!*jobs[i].slot) {
			lab_ossl_err("key generation failed");
			return -1;
		}
		if (!*jobs[i].loaded && lab_key_write(jobs[i].path, *jobs[i].slot) != 0)
			return -1;
	}
	return 0;
}

/* ---- certificates ----------------------------------------------------- */

struct lab_ext {
	int nid;
	const char *value;
};

/* Issues one certificate. issuer NULL means self-signed. Validity is given
 * in seconds from now. */
static X509 *lab_cert_issue(EVP_PKEY *key, const char *cn, const char *ou, X509 *issuer,
			    EVP_PKEY *issuer_key, long not_before, long not_after,
			    const struct lab_ext *exts)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *serial = BN_new();
	X509V3_CTX ctx;

	if (!cert || !name || !serial)
		goto err;
	/* 127 random bits: positive, unique per issue, as CAs do since 2016. */
	if (!BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)))
		goto err;
	/* A certificate without extensions is written as X.509 v1, as old
	 * servers' were (the v1 scenario); every other one is v3. */
	if (!X509_set_version(cert, exts[0].nid ? X509_VERSION_3 : X509_VERSION_1) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"UCCX Lab",
					-1, -1, 0) ||
	    (ou && !X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, (const unsigned char *)ou,
					       -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					-1, 0) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), not_before) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), not_after) || !X509_set_pubkey(cert, key))
		goto err;
	X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
	for (const struct lab_ext *e = exts; e->nid; e++) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, e->nid, e->value);

		if (!ext || !X509_add_ext(cert, ext, -1)) {
			X509_EXTENSION_free(ext);
			goto err;
		}
		X509_EXTENSION_free(ext);
	}
	if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()))
		goto err;
	X509_NAME_free(name);
	BN_free(serial);
	return cert;
err:
	lab_ossl_err("cannot issue a certificate");
	X509_free(cert);
	X509_NAME_free(name);
	BN_free(serial);
	return NULL;
}

static int lab_ca_issue(struct lab_ca *ca)
{
	const struct lab_ext root_exts[] = {
		{NID_basic_constraints, "critical,CA:TRUE"},
		{NID_key_usage, "critical,keyCertSign,cRLSign"},
		{NID_subject_key_identifier, "hash"},
		{0, NULL},
	};
	const struct lab_ext issuing_exts[] = {
		{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
		{NID_key_usage, "critical,keyCertSign,cRLSign"},
		{NID_subject_key_identifier, "hash"},
		{NID_authority_key_identifier, "keyid:always"},
		{0, NULL},
	};

	ca->root = lab_cert_issue(ca->root_key, "UCCX Lab Root CA", NULL, NULL, NULL, -2 * DAY,
				  3650 * DAY, root_exts);
	if (!ca->root)
		return -1;
	ca->issuing = lab_cert_issue(ca->issuing_key, "UCCX Lab Issuing CA", NULL, ca->root,
				     ca->root_key, -2 * DAY, 1825 * DAY, issuing_exts);
	return ca->issuing ? 0 : -1;
}

/* Issues the leaf of one identity according to its host's profile. */
static int lab_leaf_issue(const struct lab_certopts *opts, struct lab_identity *id,
			  const struct lab_ca *ca, int index)
{
	const struct lab_host *host = id->host;
	char san[LAB_NAME_MAX + 16], wrong[LAB_NAME_MAX + 8];
	const char *cn = host->name;
	const char *ou = index == 0 ? "tomcat" : "notification";
	bool ec = host->keytype == LAB_EC256;
	bool private_ca = lab_private_ca(host->profile);
	struct lab_ext exts[8];
	int n = 0;
	long nb = opts->renew ? -60 : -DAY;
	long na = opts->days_left >= 0 ? opts->days_left * DAY : 365 * DAY;

	if (host->profile == LAB_WRONGNAME) {
		snprintf(wrong, sizeof(wrong), "wrong.%s", opts->domain);
		cn = wrong;
	}
	if (host->profile == LAB_EXPIRED) {
		nb = -400 * DAY;
		na = -30 * DAY;
	}
	snprintf(san, sizeof(san), "DNS:%s", cn);
	if (host->profile == LAB_SELFSIGNED_CA) {
		/* What UCCX's own self-signed Tomcat certificates look like. */
		exts[n++] = (struct lab_ext){NID_basic_constraints, "critical,CA:TRUE"};
		exts[n++] = (struct lab_ext){
			NID_key_usage,
			ec ? "critical,digitalSignature,keyCertSign"
			   : "critical,digitalSignature,keyEncipherment,dataEncipherment,keyCertSign"};
		exts[n++] = (struct lab_ext){NID_ext_key_usage, "serverAuth,clientAuth"};
	} else if (host->profile == LAB_NOBC || host->profile == LAB_PRIVATE_CA_NOBC) {
		/* Old-style: nothing about being a CA, nothing limiting the key. */
		exts[n++] = (struct lab_ext){NID_ext_key_usage, "serverAuth"};
	} else {
		exts[n++] = (struct lab_ext){NID_basic_constraints, "critical,CA:FALSE"};
		exts[n++] = (struct lab_ext){NID_key_usage,
					     ec ? "critical,digitalSignature"
						: "critical,digitalSignature,keyEncipherment"};
		exts[n++] = (struct lab_ext){NID_ext_key_usage, "serverAuth"};
	}
	exts[n++] = (struct lab_ext){NID_subject_key_identifier, "hash"};
	if (private_ca)
		exts[n++] = (struct lab_ext){NID_authority_key_identifier, "keyid:always"};
	if (host->profile != LAB_NOSAN)
		exts[n++] = (struct lab_ext){NID_subject_alt_name, san};
	if (host->profile == LAB_V1)
		n = 0;
	exts[n] = (struct lab_ext){0, NULL};

	id->leaf = lab_cert_issue(id->key, cn, ou, private_ca ? ca->issuing : NULL,
				  private_ca ? ca->issuing_key : NULL, nb, na, exts);
	if (!id->leaf)
		return -1;
	id->extra = sk_X509_new_null();
	if (!id->extra)
		return -1;
	if (private_ca) {
		if (!sk_X509_push(id->extra, X509_dup(ca->issuing)))
			return -1;
		if (host->profile != LAB_PRIVATE_CA_NOROOT &&
		    !sk_X509_push(id->extra, X509_dup(ca->root)))
			return -1;
	}
	return 0;
}

int lab_identity_regenerate(const struct lab_certopts *opts, struct lab_identity *id,
			    const struct lab_ca *ca, int index)
{
	struct lab_identity fresh = *id;

	fresh.key = lab_key_generate(id->host->keytype);
	fresh.leaf = NULL;
	fresh.extra = NULL;
	fresh.key_loaded = false;
	if (!fresh.key || lab_leaf_issue(opts, &fresh, ca, index) != 0) {
		lab_ossl_err("cannot regenerate the certificate");
		EVP_PKEY_free(fresh.key);
		X509_free(fresh.leaf);
		sk_X509_pop_free(fresh.extra, X509_free);
		return -1;
	}
	/* A TLS context made from the old identity holds its own references. */
	EVP_PKEY_free(id->key);
	X509_free(id->leaf);
	sk_X509_pop_free(id->extra, X509_free);
	*id = fresh;
	return 0;
}

/* ---- reuse and output ------------------------------------------------- */

/* Reads a PEM chain; the first certificate must belong to key. */
static int lab_chain_load(const char *path, EVP_PKEY *key, X509 **leaf, STACK_OF(X509) * *extra)
{
	FILE *f = fopen(path, "r");
	X509 *cert;

	*leaf = NULL;
	*extra = NULL;
	if (!f)
		return -1;
	*leaf = PEM_read_X509(f, NULL, NULL, NULL);
	*extra = sk_X509_new_null();
	while (*leaf && *extra && (cert = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(*extra, cert))
			X509_free(cert);
	fclose(f);
	ERR_clear_error();
	if (*leaf && *extra && X509_check_private_key(*leaf, key) == 1)
		return 0;
	ERR_clear_error();
	X509_free(*leaf);
	sk_X509_pop_free(*extra, X509_free);
	*leaf = NULL;
	*extra = NULL;
	return -1;
}

static int lab_pem_write(const char *path, X509 *leaf, STACK_OF(X509) * extra)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (!mem || (leaf && !PEM_write_bio_X509(mem, leaf)))
		goto out;
	for (int i = 0; extra && i < sk_X509_num(extra); i++)
		if (!PEM_write_bio_X509(mem, sk_X509_value(extra, i)))
			goto out;
	len = BIO_get_mem_data(mem, &data);
	rc = lab_write_file(path, data, (size_t)len, 0644);
out:
	if (rc != 0 && mem)
		lab_ossl_err("cannot encode a certificate");
	BIO_free(mem);
	return rc;
}

/* The scenario and domain of the chains kept in OUT, so --keep-keys never
 * serves chains made for another scenario. */
static void lab_state_line(const struct lab_certopts *opts, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s\n", opts->scenario, opts->domain);
}

static bool lab_state_matches(const struct lab_certopts *opts)
{
	char path[4096], want[600], have[600] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/keys/state", opts->out);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(have, sizeof(have), f))
		have[0] = '\0';
	fclose(f);
	lab_state_line(opts, want, sizeof(want));
	return strcmp(want, have) == 0;
}

/* Loads the CA certificates of an earlier run when their keys were kept,
 * so a renewal changes leaves only (a trusted root stays trusted). */
static bool lab_ca_load(const struct lab_certopts *opts, struct lab_ca *ca)
{
	char path[4096];
	STACK_OF(X509) *extra = NULL;

	if (!ca->root_key_loaded || !ca->issuing_key_loaded)
		return false;
	snprintf(path, sizeof(path), "%s/ca.pem", opts->out);
	if (lab_chain_load(path, ca->root_key, &ca->root, &extra) != 0)
		return false;
	sk_X509_pop_free(extra, X509_free);
	snprintf(path, sizeof(path), "%s/issuing-ca.pem", opts->out);
	if (lab_chain_load(path, ca->issuing_key, &ca->issuing, &extra) != 0) {
		X509_free(ca->root);
		ca->root = NULL;
		return false;
	}
	sk_X509_pop_free(extra, X509_free);
	return true;
}

/* Loads every identity's kept chain, or none of them. */
static bool lab_leaves_load(const struct lab_certopts *opts, struct lab_host hosts[LAB_NHOSTS])
{
	char path[4096];

	for (int h = 0; h < LAB_NHOSTS; h++) {
		for (int k = 0; k < hosts[h].nids; k++) {
			struct lab_identity *id = &hosts[h].ids[k];

			snprintf(path, sizeof(path), "%s/keys/%s.chain.pem", opts->out, id->stem);
			if (!id->key_loaded ||
			    lab_chain_load(path, id->key, &id->leaf, &id->extra) != 0)
				goto none;
		}
	}
	return true;
none:
	for (int h = 0; h < LAB_NHOSTS; h++) {
		for (int k = 0; k < hosts[h].nids; k++) {
			X509_free(hosts[h].ids[k].leaf);
			sk_X509_pop_free(hosts[h].ids[k].extra, X509_free);
			hosts[h].ids[k].leaf = NULL;
			hosts[h].ids[k].extra = NULL;
		}
	}
	return false;
}

static int lab_certs_save(const struct lab_certopts *opts, struct lab_host hosts[LAB_NHOSTS],
			  const struct lab_ca *ca)
{
	char path[4096], state[600];

	for (int h = 0; h < LAB_NHOSTS; h++) {
		for (int k = 0; k < hosts[h].nids; k++) {
			struct lab_identity *id = &hosts[h].ids[k];

			snprintf(path, sizeof(path), "%s/keys/%s.chain.pem", opts->out, id->stem);
			if (lab_pem_write(path, id->leaf, id->extra) != 0)
				return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/ca.pem", opts->out);
	if (ca->root) {
		if (lab_pem_write(path, ca->root, NULL) != 0)
			return -1;
		snprintf(path, sizeof(path), "%s/issuing-ca.pem", opts->out);
		if (lab_pem_write(path, ca->issuing, NULL) != 0)
			return -1;
	} else {
		/* A ca.pem left by another scenario would mislead a test. */
		unlink(path);
		snprintf(path, sizeof(path), "%s/issuing-ca.pem", opts->out);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/keys/state", opts->out);
	lab_state_line(opts, state, sizeof(state));
	return lab_write_file(path, state, strlen(state), 0600);
}

int lab_certs_make(const struct lab_certopts *opts, struct lab_host hosts[LAB_NHOSTS],
		   struct lab_ca *ca)
{
	char path[4096];
	bool ca_kept = false, leaves_kept = false;

	snprintf(path, sizeof(path), "%s/keys", opts->out);
	if ((mkdir(path, 0700) != 0 && errno != EEXIST) || chmod(path, 0700) != 0) {
		fprintf(stderr, "uccx-lab: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (lab_keys_make(opts, hosts, ca) != 0)
		return -1;
	if (lab_uses_ca(hosts)) {
		ca_kept = (opts->keep_keys || opts->renew) && lab_ca_load(opts, ca);
		if (!ca_kept && lab_ca_issue(ca) != 0)
			return -1;
	}
	/* A restart with --keep-keys serves the very same certificates; --renew
	 * and --days-left ask for new leaves. */
	if (opts->keep_keys && !opts->renew && opts->days_left < 0 && lab_state_matches(opts) &&
	    (!lab_uses_ca(hosts) || ca_kept))
		leaves_kept = lab_leaves_load(opts, hosts);
	if (opts->keep_keys && !leaves_kept && !opts->renew && opts->days_left < 0)
		fprintf(stderr, "uccx-lab: no matching certificates kept in %s; issuing new ones\n",
			opts->out);
	for (int h = 0; h < LAB_NHOSTS && !leaves_kept; h++)
		for (int k = 0; k < hosts[h].nids; k++)
			if (lab_leaf_issue(opts, &hosts[h].ids[k], ca, k) != 0)
				return -1;
	return lab_certs_save(opts, hosts, ca);
}

void lab_certs_free(struct lab_host hosts[LAB_NHOSTS], struct lab_ca *ca)
{
	for (int h = 0; hosts && h < LAB_NHOSTS; h++) {
		for (int k = 0; k < hosts[h].nids; k++) {
			struct lab_identity *id = &hosts[h].ids[k];

			EVP_PKEY_free(id->key);
			X509_free(id->leaf);
			sk_X509_pop_free(id->extra, X509_free);
			id->key = NULL;
			id->leaf = NULL;
			id->extra = NULL;
		}
	}
	if (!ca)
		return;
	EVP_PKEY_free(ca->root_key);
	EVP_PKEY_free(ca->issuing_key);
	X509_free(ca->root);
	X509_free(ca->issuing);
	memset(ca, 0, sizeof(*ca));
}

int lab_chain_write(const char *dir, const char *host, int port, const struct lab_identity *id)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s-%d.pem", dir, host, port);
	return lab_pem_write(path, id->leaf, id->extra);
}

void lab_fingerprint(X509 *cert, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t pos = 0;

	buf[0] = '\0';
	if (!X509_digest(cert, EVP_sha256(), md, &n))
		return;
	for (unsigned int i = 0; i < n && pos + 4 <= len; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, i ? ":%02X" : "%02X", md[i]);
}

SSL_CTX *lab_identity_ctx(const struct lab_identity *id)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		goto err;
	/* RSA-1024 is below OpenSSL 3's default security level 2; a real server
	 * with such a key still serves it, and the agent must see it. */
	SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, id->leaf) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, id->key) != 1)
		goto err;
	for (int i = 0; i < sk_X509_num(id->extra); i++)
		if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(id->extra, i)))
			goto err;
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	return ctx;
err:
	lab_ossl_err("cannot set up TLS");
	SSL_CTX_free(ctx);
	return NULL;
}
