/*
 * test_analyse.c: the analysis over a table of generated certificates:
 * findings, chain kind, approval under each trust mode, and exactly what
 * each kind of store is asked to hold (DESIGN.md's trust table).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "check_main.h"
#include "machine.h"
#include "platform.h"
#include "testcert.h"

#define HOST "uccx1.lab.example"
#define DAY (24 * 3600)

enum chain_shape { SHAPE_SELF, SHAPE_CA_WITH_ROOT, SHAPE_CA_NO_ROOT };
enum approval_src { APP_NONE, APP_PIN_LEAF, APP_PIN_ROOT, APP_CA_FILE, APP_PIN_OTHER };
enum state_kind { ST_NONE, ST_SAME, ST_OTHER, ST_EXPIRING_SAME_NAMES };
enum want_cert { W_NONE, W_LEAF, W_ROOT };

struct acase {
	const char *name;
	struct uct_testcert_spec leaf;
	enum chain_shape shape;
	enum uct_mode mode;
	enum approval_src approval_src;
	enum state_kind state;
	int accept_change;
	/* expectations */
	enum uct_chain_kind kind;
	unsigned findings_set, findings_clear;
	enum uct_approval approval;
	enum want_cert chromium;
	enum uct_trust chromium_trust;
	enum want_cert firefox;
	enum uct_trust firefox_trust;
	int override;
	int chromium_fixable, firefox_fixable;
	const char *chromium_code;
};

static const char *const wild_san[] = {"*.lab.example", NULL};
static const char *const wrong_san[] = {"wrong.lab.example", NULL};

/* One case to a paragraph, fields in the struct's order: clang-format would
 * give every field a line of its own. */
/* clang-format off */
static const struct acase cases[] = {
	{"self-signed CA:FALSE, first use", {.cn = HOST}, SHAPE_SELF, UCT_MODE_TOFU, APP_NONE,
	 ST_NONE, 0, UCT_CK_SELF_SIGNED, 0, UCT_F_CA_LEAF | UCT_F_NO_SAN | UCT_F_NAME_MISMATCH,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"self-signed CA:TRUE: peer only plus Firefox override", {.cn = HOST, .is_ca = 1},
	 SHAPE_SELF, UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED_CA, UCT_F_CA_LEAF, 0,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1, 1, 1, NULL},
	{"self-signed CA:TRUE pinned may become a root", {.cn = HOST, .is_ca = 1}, SHAPE_SELF,
	 UCT_MODE_PINNED, APP_PIN_LEAF, ST_NONE, 0, UCT_CK_SELF_SIGNED_CA, UCT_F_CA_LEAF, 0,
	 UCT_AP_PINNED, W_LEAF, UCT_TRUST_ROOT, W_NONE, UCT_TRUST_NONE, 1, 1, 1, NULL},
	{"private CA, root sent, tofu: the leaf only", {.cn = HOST}, SHAPE_CA_WITH_ROOT,
	 UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_PRIVATE_CA, 0, UCT_F_INCOMPLETE_CHAIN,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"private CA, root not sent, tofu", {.cn = HOST}, SHAPE_CA_NO_ROOT, UCT_MODE_TOFU, APP_NONE,
	 ST_NONE, 0, UCT_CK_PRIVATE_CA, UCT_F_INCOMPLETE_CHAIN, 0, UCT_AP_FIRST_USE, W_LEAF,
	 UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"private CA, root from --ca-file becomes the root", {.cn = HOST}, SHAPE_CA_NO_ROOT,
	 UCT_MODE_TOFU, APP_CA_FILE, ST_NONE, 0, UCT_CK_PRIVATE_CA, 0, UCT_F_INCOMPLETE_CHAIN,
	 UCT_AP_CA_FILE, W_ROOT, UCT_TRUST_ROOT, W_ROOT, UCT_TRUST_ROOT, 0, 1, 1, NULL},
	{"private CA, pinned root", {.cn = HOST}, SHAPE_CA_WITH_ROOT, UCT_MODE_PINNED, APP_PIN_ROOT,
	 ST_NONE, 0, UCT_CK_PRIVATE_CA, 0, 0, UCT_AP_PINNED, W_ROOT, UCT_TRUST_ROOT, W_ROOT,
	 UCT_TRUST_ROOT, 0, 1, 1, NULL},
	{"no SAN: Chromium cannot be fixed, Firefox override", {.cn = HOST, .no_san = 1},
	 SHAPE_SELF, UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_NO_SAN,
	 UCT_F_NAME_MISMATCH, UCT_AP_FIRST_USE, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 1, 0,
	 1, "ERR_CERT_COMMON_NAME_INVALID"},
	{"no SAN and a CN for another host", {.cn = "other.lab.example", .no_san = 1}, SHAPE_SELF,
	 UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_NO_SAN | UCT_F_NAME_MISMATCH,
	 0, UCT_AP_NONE, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, 0, 0,
	 "ERR_CERT_COMMON_NAME_INVALID"},
	{"expired: fix on the server", {.cn = HOST, .not_before = -400, .not_after = -30},
	 SHAPE_SELF, UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_EXPIRED, 0,
	 UCT_AP_NONE, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, 0, 0, "ERR_CERT_DATE_INVALID"},
	{"not yet valid", {.cn = HOST, .not_before = 10, .not_after = 400}, SHAPE_SELF,
	 UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_NOT_YET_VALID, 0, UCT_AP_NONE,
	 W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, 0, 0, "ERR_CERT_DATE_INVALID"},
	{"expiring within 30 days is installed and noted", {.cn = HOST, .not_before = -300, .not_after = 10},
	 SHAPE_SELF, UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_EXPIRING,
	 UCT_F_EXPIRED, UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1,
	 NULL},
	{"wrong name is never installed", {.cn = "wrong.lab.example", .sans = wrong_san}, SHAPE_SELF,
	 UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_NAME_MISMATCH, 0, UCT_AP_NONE,
	 W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, 0, 0, "ERR_CERT_COMMON_NAME_INVALID"},
	{"wildcard SAN matches", {.cn = "lab", .sans = wild_san}, SHAPE_SELF, UCT_MODE_TOFU, APP_NONE,
	 ST_NONE, 0, UCT_CK_SELF_SIGNED, 0, UCT_F_NAME_MISMATCH, UCT_AP_FIRST_USE, W_LEAF,
	 UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"RSA-1024 is installed and reported weak", {.cn = HOST, .key_bits = 1024}, SHAPE_SELF,
	 UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_WEAK_KEY, 0,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"ECDSA P-256", {.cn = HOST, .key_type = UCT_TESTCERT_EC}, SHAPE_SELF, UCT_MODE_TOFU,
	 APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, 0, UCT_F_WEAK_KEY, UCT_AP_FIRST_USE, W_LEAF,
	 UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"SHA-1 signature is noted", {.cn = HOST, .digest = "sha1"}, SHAPE_SELF, UCT_MODE_TOFU,
	 APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_WEAK_SIGNATURE, 0, UCT_AP_FIRST_USE, W_LEAF,
	 UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"unknown critical extension", {.cn = HOST, .critical_unknown = 1}, SHAPE_SELF,
	 UCT_MODE_TOFU, APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_UNKNOWN_CRITICAL, 0,
	 UCT_AP_NONE, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, 0, 0, "ERR_CERT_INVALID"},
	{"client-only EKU", {.cn = HOST, .eku = UCT_TESTCERT_EKU_CLIENT}, SHAPE_SELF, UCT_MODE_TOFU,
	 APP_NONE, ST_NONE, 0, UCT_CK_SELF_SIGNED, UCT_F_NO_SERVER_AUTH, 0, UCT_AP_NONE, W_NONE,
	 UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, 0, 0, "ERR_CERT_INVALID"},
	{"pinned mode, nothing pinned: refused", {.cn = HOST}, SHAPE_SELF, UCT_MODE_PINNED,
	 APP_PIN_OTHER, ST_NONE, 0, UCT_CK_SELF_SIGNED, 0, 0, UCT_AP_REFUSED_UNPINNED, W_NONE,
	 UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, 0, 0, NULL},
	{"tofu, same certificate as before", {.cn = HOST}, SHAPE_SELF, UCT_MODE_TOFU, APP_NONE,
	 ST_SAME, 0, UCT_CK_SELF_SIGNED, 0, 0, UCT_AP_KNOWN, W_LEAF, UCT_TRUST_PEER, W_LEAF,
	 UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"tofu, changed certificate: refused", {.cn = HOST}, SHAPE_SELF, UCT_MODE_TOFU, APP_NONE,
	 ST_OTHER, 0, UCT_CK_SELF_SIGNED, 0, 0, UCT_AP_REFUSED_CHANGED, W_NONE, UCT_TRUST_NONE,
	 W_NONE, UCT_TRUST_NONE, 0, 0, 0, NULL},
	{"tofu, changed with --accept-change", {.cn = HOST}, SHAPE_SELF, UCT_MODE_TOFU, APP_NONE,
	 ST_OTHER, 1, UCT_CK_SELF_SIGNED, 0, 0, UCT_AP_ACCEPTED_CHANGE, W_LEAF, UCT_TRUST_PEER,
	 W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
	{"tofu, renewal of an expiring certificate", {.cn = HOST}, SHAPE_SELF, UCT_MODE_TOFU,
	 APP_NONE, ST_EXPIRING_SAME_NAMES, 0, UCT_CK_SELF_SIGNED, 0, 0, UCT_AP_RENEWAL, W_LEAF,
	 UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, 1, 1, NULL},
};
/* clang-format on */

static struct uct_testcert *root_ca, *issuing_ca, *other_ca;

static void make_cas(void)
{
	if (root_ca != NULL)
		return;
	root_ca = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Lab Root CA", .is_ca = 1, .no_san = 1, .key_slot = 1});
	issuing_ca = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Lab Issuing CA", .is_ca = 1, .no_san = 1, .key_slot = 2, .issuer = root_ca});
	other_ca = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Unrelated CA", .is_ca = 1, .no_san = 1, .key_slot = 3});
}

static void push(struct uct_chain *chain, const struct uct_testcert *tc)
{
	struct uct_cert *c = uct_testcert_to_uct(tc);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(uct_chain_push(chain, c), 0);
}

START_TEST(test_table)
{
	const struct acase *tc = &cases[_i];
	struct uct_testcert_spec spec = tc->leaf;
	struct uct_testcert *leaf;
	struct uct_chain chain = {0}, ca_certs = {0};
	struct uct_config cfg;
	struct uct_state state;
	struct uct_analysis an;
	unsigned char pins[1][UCT_SHA256_LEN];
	int64_t now = uct_now();
	const struct uct_cert *want_leaf, *want_root;

	make_cas();
	if (spec.not_before != 0 || spec.not_after != 0) {
		spec.not_before = now + spec.not_before * DAY;
		spec.not_after = now + spec.not_after * DAY;
	}
	if (tc->shape != SHAPE_SELF)
		spec.issuer = issuing_ca;
	leaf = uct_testcert_make(&spec);
	ck_assert_ptr_nonnull(leaf);
	push(&chain, leaf);
	if (tc->shape != SHAPE_SELF)
		push(&chain, issuing_ca);
	if (tc->shape == SHAPE_CA_WITH_ROOT)
		push(&chain, root_ca);
	/* An unrelated CA sent along must never count as approval. */
	if (tc->approval_src == APP_PIN_OTHER)
		push(&chain, other_ca);
	if (tc->approval_src == APP_CA_FILE)
		push(&ca_certs, root_ca);

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = tc->mode;
	cfg.accept_change = tc->accept_change;
	if (tc->approval_src == APP_PIN_LEAF || tc->approval_src == APP_PIN_ROOT ||
	    tc->approval_src == APP_PIN_OTHER) {
		const struct uct_cert *pinned = tc->approval_src == APP_PIN_LEAF ? chain.certs[0]
						: tc->approval_src == APP_PIN_ROOT
							? chain.certs[2]
							: chain.certs[chain.n - 1];
		memcpy(pins[0], pinned->sha256, UCT_SHA256_LEN);
		cfg.pins = pins;
		cfg.n_pins = 1;
	}
	memset(&state, 0, sizeof(state));
	if (tc->state != ST_NONE) {
		ck_assert_int_eq(uct_state_set_seen(&state, HOST ":8445", chain.certs[0],
						    now - 90 * DAY),
				 0);
		if (tc->state == ST_OTHER)
			state.seen[0].sha256[0] ^= 0xff;
		if (tc->state == ST_EXPIRING_SAME_NAMES) {
			state.seen[0].sha256[0] ^= 0xff;
			state.seen[0].not_after = now + 5 * DAY;
		}
	}

	uct_analyse(&(struct uct_analyse_ctx){.cfg = &cfg,
					      .ca_certs = &ca_certs,
					      .state = &state,
					      .now = now},
		    HOST, 8445, &chain, &an);

	ck_assert_msg(an.kind == tc->kind, "%s: kind %s", tc->name, uct_chain_kind_name(an.kind));
	ck_assert_msg((an.findings & tc->findings_set) == tc->findings_set, "%s: findings %#x",
		      tc->name, an.findings);
	ck_assert_msg((an.findings & tc->findings_clear) == 0, "%s: findings %#x", tc->name,
		      an.findings);
	ck_assert_msg(an.approval == tc->approval, "%s: approval %s", tc->name,
		      uct_approval_name(an.approval));
	want_leaf = chain.certs[0];
	want_root = tc->shape == SHAPE_CA_WITH_ROOT ? chain.certs[2]
		    : ca_certs.n                    ? ca_certs.certs[0]
						    : NULL;
	ck_assert_msg(an.chromium.cert == (tc->chromium == W_LEAF   ? want_leaf
					   : tc->chromium == W_ROOT ? want_root
								    : NULL),
		      "%s: chromium cert", tc->name);
	ck_assert_msg(an.chromium.trust == tc->chromium_trust, "%s: chromium trust %s", tc->name,
		      uct_trust_name(an.chromium.trust));
	ck_assert_msg(an.firefox.cert == (tc->firefox == W_LEAF   ? want_leaf
					  : tc->firefox == W_ROOT ? want_root
								  : NULL),
		      "%s: firefox cert", tc->name);
	ck_assert_msg(an.firefox.trust == tc->firefox_trust, "%s: firefox trust", tc->name);
	ck_assert_msg(an.firefox_override == tc->override, "%s: override", tc->name);
	ck_assert_msg(an.chromium_fixable == tc->chromium_fixable, "%s: chromium fixable",
		      tc->name);
	ck_assert_msg(an.firefox_fixable == tc->firefox_fixable, "%s: firefox fixable", tc->name);
	if (tc->chromium_code != NULL)
		ck_assert_str_eq(an.chromium_code, tc->chromium_code);
	if (!tc->chromium_fixable && !tc->firefox_fixable)
		ck_assert_msg(an.reason[0] != '\0', "%s: a reason is given", tc->name);
	/* Trust safety: a CA:TRUE certificate becomes a root only with approval. */
	if (an.chromium.trust == UCT_TRUST_ROOT)
		ck_assert(an.approval == UCT_AP_PINNED || an.approval == UCT_AP_CA_FILE);

	uct_state_free(&state);
	uct_chain_clear(&chain);
	uct_chain_clear(&ca_certs);
	uct_testcert_free(leaf);
}
END_TEST

/*
 * Trust safety per certificate shape (finding 1 of the hostile-input
 * review): only a leaf that says CA:FALSE, or a CA a pin or a CA file
 * approved, may get a trust under which its key signs (NSS "C", Windows
 * Root, the system anchors). Each row: what each kind of store is asked to
 * hold, unapproved (first use) and approved (pinned or CA file).
 */
enum issuer_kind { ISS_SELF, ISS_CA, ISS_CA_V1 };

struct scase {
	const char *name;
	struct uct_testcert_spec leaf;
	enum issuer_kind issuer;
	enum approval_src approval_src; /* APP_NONE: tofu first use */
	/* expectations */
	enum uct_approval approval;
	enum want_cert chromium;
	enum uct_trust chromium_trust;
	enum want_cert firefox;
	enum uct_trust firefox_trust;
	int override;
	enum want_cert machine;
	enum uct_trust machine_trust;
	enum uct_win_store win; /* where the Chromium anchor goes on Windows */
	unsigned findings_set, findings_clear;
};

#define KCS (UCT_KU_KEY_CERT_SIGN | UCT_KU_DIGITAL_SIGNATURE)
#define NO_CA_FALSE UCT_F_NO_CA_FALSE

/* clang-format off */
static const struct scase shapes[] = {
	/* Self-signed. */
	{"v1 (a v1 has no SAN: Firefox override only)", {.cn = HOST, .version = 1}, ISS_SELF,
	 APP_NONE, UCT_AP_FIRST_USE, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_NONE, NO_CA_FALSE | UCT_F_NO_SAN, UCT_F_CA_LEAF},
	{"v1 pinned", {.cn = HOST, .version = 1}, ISS_SELF, APP_PIN_LEAF, UCT_AP_PINNED, W_NONE,
	 UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 1, W_NONE, UCT_TRUST_NONE, UCT_WIN_NONE,
	 NO_CA_FALSE, 0},
	{"v3 without basicConstraints", {.cn = HOST, .no_basic_constraints = 1}, ISS_SELF,
	 APP_NONE, UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_PEOPLE, NO_CA_FALSE, UCT_F_CA_LEAF | UCT_F_NO_SAN},
	{"v3 without basicConstraints, pinned", {.cn = HOST, .no_basic_constraints = 1}, ISS_SELF,
	 APP_PIN_LEAF, UCT_AP_PINNED, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1,
	 W_NONE, UCT_TRUST_NONE, UCT_WIN_PEOPLE, NO_CA_FALSE, 0},
	{"keyCertSign without basicConstraints",
	 {.cn = HOST, .no_basic_constraints = 1, .key_usage = KCS}, ISS_SELF, APP_NONE,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_PEOPLE, NO_CA_FALSE, 0},
	{"keyCertSign without basicConstraints, pinned",
	 {.cn = HOST, .no_basic_constraints = 1, .key_usage = KCS}, ISS_SELF, APP_PIN_LEAF,
	 UCT_AP_PINNED, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_PEOPLE, NO_CA_FALSE, 0},
	{"v2 with a SAN-less name", {.cn = HOST, .version = 2}, ISS_SELF, APP_NONE,
	 UCT_AP_FIRST_USE, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_NONE, NO_CA_FALSE, 0},
	{"CA:FALSE", {.cn = HOST}, ISS_SELF, APP_NONE, UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER,
	 W_LEAF, UCT_TRUST_PEER, 0, W_LEAF, UCT_TRUST_PEER, UCT_WIN_ROOT, 0,
	 NO_CA_FALSE | UCT_F_CA_LEAF},
	{"CA:FALSE, pinned", {.cn = HOST}, ISS_SELF, APP_PIN_LEAF, UCT_AP_PINNED, W_LEAF,
	 UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, W_LEAF, UCT_TRUST_PEER, UCT_WIN_ROOT, 0,
	 NO_CA_FALSE},
	{"CA:FALSE, not critical", {.cn = HOST, .bc_not_critical = 1}, ISS_SELF, APP_NONE,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, W_LEAF,
	 UCT_TRUST_PEER, UCT_WIN_ROOT, 0, NO_CA_FALSE},
	{"CA:FALSE with keyCertSign: CA:FALSE still binds the key", {.cn = HOST, .key_usage = KCS},
	 ISS_SELF, APP_NONE, UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0,
	 W_LEAF, UCT_TRUST_PEER, UCT_WIN_ROOT, 0, NO_CA_FALSE},
	{"CA:TRUE", {.cn = HOST, .is_ca = 1}, ISS_SELF, APP_NONE, UCT_AP_FIRST_USE, W_LEAF,
	 UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1, W_NONE, UCT_TRUST_NONE, UCT_WIN_PEOPLE,
	 UCT_F_CA_LEAF, NO_CA_FALSE},
	{"CA:TRUE, pinned: a root", {.cn = HOST, .is_ca = 1}, ISS_SELF, APP_PIN_LEAF,
	 UCT_AP_PINNED, W_LEAF, UCT_TRUST_ROOT, W_NONE, UCT_TRUST_NONE, 1, W_LEAF, UCT_TRUST_ROOT,
	 UCT_WIN_ROOT, UCT_F_CA_LEAF, NO_CA_FALSE},
	{"CA:TRUE pathlen 0", {.cn = HOST, .is_ca = 1, .with_pathlen = 1}, ISS_SELF, APP_NONE,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_PEOPLE, UCT_F_CA_LEAF, 0},
	{"CA:TRUE pathlen 0, pinned", {.cn = HOST, .is_ca = 1, .with_pathlen = 1}, ISS_SELF,
	 APP_PIN_LEAF, UCT_AP_PINNED, W_LEAF, UCT_TRUST_ROOT, W_NONE, UCT_TRUST_NONE, 1, W_LEAF,
	 UCT_TRUST_ROOT, UCT_WIN_ROOT, UCT_F_CA_LEAF, 0},
	/* Leaves of a private CA. */
	{"CA leaf, CA:FALSE", {.cn = HOST}, ISS_CA, APP_NONE, UCT_AP_FIRST_USE, W_LEAF,
	 UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, W_NONE, UCT_TRUST_NONE, UCT_WIN_NONE, 0,
	 NO_CA_FALSE},
	{"CA leaf, CA:FALSE, root pinned", {.cn = HOST}, ISS_CA, APP_PIN_ROOT, UCT_AP_PINNED,
	 W_ROOT, UCT_TRUST_ROOT, W_ROOT, UCT_TRUST_ROOT, 0, W_ROOT, UCT_TRUST_ROOT, UCT_WIN_ROOT, 0,
	 NO_CA_FALSE},
	{"CA leaf without basicConstraints", {.cn = HOST, .no_basic_constraints = 1}, ISS_CA,
	 APP_NONE, UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_NONE, NO_CA_FALSE, 0},
	{"CA leaf without basicConstraints, leaf pinned", {.cn = HOST, .no_basic_constraints = 1},
	 ISS_CA, APP_PIN_LEAF, UCT_AP_PINNED, W_LEAF, UCT_TRUST_PEER_ONLY, W_NONE, UCT_TRUST_NONE, 1,
	 W_NONE, UCT_TRUST_NONE, UCT_WIN_NONE, NO_CA_FALSE, 0},
	{"CA leaf without basicConstraints, root pinned", {.cn = HOST, .no_basic_constraints = 1},
	 ISS_CA, APP_PIN_ROOT, UCT_AP_PINNED, W_ROOT, UCT_TRUST_ROOT, W_ROOT, UCT_TRUST_ROOT, 0,
	 W_ROOT, UCT_TRUST_ROOT, UCT_WIN_ROOT, NO_CA_FALSE, 0},
	{"CA leaf without basicConstraints, root from --ca-file",
	 {.cn = HOST, .no_basic_constraints = 1}, ISS_CA, APP_CA_FILE, UCT_AP_CA_FILE, W_ROOT,
	 UCT_TRUST_ROOT, W_ROOT, UCT_TRUST_ROOT, 0, W_ROOT, UCT_TRUST_ROOT, UCT_WIN_ROOT,
	 NO_CA_FALSE, 0},
	{"CA leaf v1", {.cn = HOST, .version = 1, .no_san = 1}, ISS_CA, APP_NONE,
	 UCT_AP_FIRST_USE, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 1, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_NONE, NO_CA_FALSE | UCT_F_NO_SAN, 0},
	/* A v1 CA says nothing either: never a root, pinned or not. */
	{"v1 root from --ca-file is not a root", {.cn = HOST}, ISS_CA_V1, APP_CA_FILE,
	 UCT_AP_FIRST_USE, W_LEAF, UCT_TRUST_PEER, W_LEAF, UCT_TRUST_PEER, 0, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_NONE, UCT_F_INCOMPLETE_CHAIN, 0},
	{"v1 root pinned is not a root", {.cn = HOST}, ISS_CA_V1, APP_PIN_ROOT,
	 UCT_AP_REFUSED_UNPINNED, W_NONE, UCT_TRUST_NONE, W_NONE, UCT_TRUST_NONE, 0, W_NONE,
	 UCT_TRUST_NONE, UCT_WIN_NONE, UCT_F_INCOMPLETE_CHAIN, 0},
};
/* clang-format on */

static struct uct_testcert *v1_root;

/* The chain of a shape: the leaf, then its CA and root when issued. */
static struct uct_testcert *shape_chain(const struct scase *sc, struct uct_chain *chain)
{
	struct uct_testcert_spec spec = sc->leaf;
	struct uct_testcert *leaf;

	make_cas();
	if (v1_root == NULL)
		v1_root = uct_testcert_make(&(struct uct_testcert_spec){
			.cn = "Old v1 Root", .version = 1, .key_slot = 3});
	ck_assert_ptr_nonnull(v1_root);
	if (sc->issuer == ISS_CA)
		spec.issuer = issuing_ca;
	else if (sc->issuer == ISS_CA_V1)
		spec.issuer = v1_root;
	leaf = uct_testcert_make(&spec);
	ck_assert_ptr_nonnull(leaf);
	push(chain, leaf);
	if (sc->issuer == ISS_CA) {
		push(chain, issuing_ca);
		push(chain, root_ca);
	} else if (sc->issuer == ISS_CA_V1) {
		push(chain, v1_root);
	}
	return leaf;
}

static const struct uct_cert *shape_want(enum want_cert w, const struct uct_chain *chain)
{
	return w == W_LEAF ? chain->certs[0] : w == W_ROOT ? chain->certs[chain->n - 1] : NULL;
}

START_TEST(test_shapes)
{
	const struct scase *sc = &shapes[_i];
	struct uct_chain chain = {0}, ca_certs = {0};
	struct uct_testcert *leaf = shape_chain(sc, &chain);
	unsigned char pins[1][UCT_SHA256_LEN];
	struct uct_config cfg;
	struct uct_analysis an;
	struct uct_want machine;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = UCT_MODE_TOFU;
	if (sc->approval_src == APP_PIN_LEAF || sc->approval_src == APP_PIN_ROOT) {
		cfg.mode = UCT_MODE_PINNED;
		memcpy(pins[0],
		       (sc->approval_src == APP_PIN_LEAF ? chain.certs[0]
							 : chain.certs[chain.n - 1])
			       ->sha256,
		       UCT_SHA256_LEN);
		cfg.pins = pins;
		cfg.n_pins = 1;
	}
	if (sc->approval_src == APP_CA_FILE)
		ck_assert_int_eq(uct_chain_push(&ca_certs, uct_cert_dup(chain.certs[chain.n - 1])),
				 0);
	/* A CA file is given, not sent: the server does not send the root. */
	if (sc->approval_src == APP_CA_FILE && chain.n > 1)
		uct_cert_free(chain.certs[--chain.n]);
	uct_analyse(&(struct uct_analyse_ctx){.cfg = &cfg, .ca_certs = &ca_certs, .now = uct_now()},
		    HOST, 8445, &chain, &an);
	uct_machine_want(&an, &machine);

	ck_assert_msg(an.approval == sc->approval, "%s: approval %s", sc->name,
		      uct_approval_name(an.approval));
	ck_assert_msg((an.findings & sc->findings_set) == sc->findings_set, "%s: findings %#x",
		      sc->name, an.findings);
	ck_assert_msg((an.findings & sc->findings_clear) == 0, "%s: findings %#x", sc->name,
		      an.findings);
	if (sc->approval_src == APP_CA_FILE && sc->chromium == W_ROOT) {
		ck_assert_ptr_eq(an.chromium.cert, ca_certs.certs[0]);
	} else {
		ck_assert_msg(an.chromium.cert == shape_want(sc->chromium, &chain),
			      "%s: chromium cert", sc->name);
	}
	ck_assert_msg(an.chromium.trust == sc->chromium_trust, "%s: chromium trust %s", sc->name,
		      uct_trust_name(an.chromium.trust));
	ck_assert_msg((an.firefox.cert != NULL) == (sc->firefox != W_NONE), "%s: firefox cert",
		      sc->name);
	ck_assert_msg(an.firefox.trust == sc->firefox_trust, "%s: firefox trust %s", sc->name,
		      uct_trust_name(an.firefox.trust));
	ck_assert_msg(an.firefox_override == sc->override, "%s: override", sc->name);
	ck_assert_msg((machine.cert != NULL) == (sc->machine != W_NONE) &&
			      machine.trust == sc->machine_trust,
		      "%s: machine %s", sc->name, uct_trust_name(machine.trust));
	ck_assert_msg(uct_win_store_for(&(struct uct_anchor){
			      .cert = an.chromium.cert, .trust = an.chromium.trust}) == sc->win,
		      "%s: Windows store %d", sc->name,
		      (int)uct_win_store_for(&(struct uct_anchor){.cert = an.chromium.cert,
								  .trust = an.chromium.trust}));
	/* The class, whatever the row: trust under which a key signs goes
	 * only to a certificate that says CA:FALSE or to an approved CA:TRUE. */
	if (uct_trust_lets_sign(an.chromium.trust))
		ck_assert_msg(uct_cert_ca_claim(an.chromium.cert) == UCT_CLAIM_END_ENTITY ||
				      (uct_cert_ca_claim(an.chromium.cert) == UCT_CLAIM_CA &&
				       (an.approval == UCT_AP_PINNED ||
					an.approval == UCT_AP_CA_FILE)),
			      "%s: chromium trust lets an unconstrained key sign", sc->name);
	if (uct_trust_lets_sign(an.firefox.trust))
		ck_assert_msg(uct_cert_ca_claim(an.firefox.cert) != UCT_CLAIM_NONE,
			      "%s: firefox trust lets an unconstrained key sign", sc->name);
	uct_chain_clear(&chain);
	uct_chain_clear(&ca_certs);
	uct_testcert_free(leaf);
}
END_TEST

/* The store-side check: every trust against every claim. */
START_TEST(test_anchor_check)
{
	static const struct {
		struct uct_testcert_spec spec;
		int peer_ok, root_ok; /* peer-only and override are always allowed */
	} rows[] = {
		{{.cn = HOST}, 1, 1},
		{{.cn = HOST, .is_ca = 1}, 0, 1},
		{{.cn = HOST, .no_basic_constraints = 1}, 0, 0},
		{{.cn = HOST, .version = 1}, 0, 0},
		{{.cn = HOST, .version = 2}, 0, 0},
		{{.cn = HOST, .no_basic_constraints = 1, .key_usage = KCS}, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct uct_testcert *tc = uct_testcert_make(&rows[i].spec);
		struct uct_cert *c = uct_testcert_to_uct(tc);
		struct uct_err err = {0};
		int rc;

		ck_assert_ptr_nonnull(c);
		rc = uct_anchor_check(&(struct uct_anchor){.cert = c, .trust = UCT_TRUST_PEER},
				      "nss:/db", &err);
		ck_assert_msg((rc == 0) == rows[i].peer_ok, "row %zu: peer", i);
		if (rc < 0) {
			ck_assert_int_eq(err.code, UCT_E_USAGE);
			ck_assert_ptr_nonnull(strstr(err.msg, "nss:/db"));
			ck_assert_ptr_nonnull(strstr(err.msg, "sign certificates for any site"));
		}
		uct_err_clear(&err);
		rc = uct_anchor_check(&(struct uct_anchor){.cert = c, .trust = UCT_TRUST_ROOT},
				      "nss:/db", &err);
		ck_assert_msg((rc == 0) == rows[i].root_ok, "row %zu: root", i);
		ck_assert_int_eq(uct_anchor_check(&(struct uct_anchor){.cert = c,
								       .trust =
									       UCT_TRUST_PEER_ONLY},
						  "nss:/db", &err),
				 0);
		ck_assert_int_eq(uct_anchor_check(&(struct uct_anchor){.cert = c,
								       .trust = UCT_TRUST_OVERRIDE},
						  "nss:/db", &err),
				 0);
		uct_cert_free(c);
		uct_testcert_free(tc);
	}
}
END_TEST

/* Hand-made certificates (version unknown) and v1/v2 encodings that carry
 * a basicConstraints anyway say nothing a verifier must honour. */
START_TEST(test_claim_needs_v3)
{
	struct uct_cert c;

	memset(&c, 0, sizeof(c));
	c.has_basic_constraints = 1;
	ck_assert_int_eq(uct_cert_ca_claim(&c), UCT_CLAIM_NONE);
	c.version = 1;
	ck_assert_int_eq(uct_cert_ca_claim(&c), UCT_CLAIM_NONE);
	c.version = 2;
	ck_assert_int_eq(uct_cert_ca_claim(&c), UCT_CLAIM_NONE);
	c.version = 3;
	ck_assert_int_eq(uct_cert_ca_claim(&c), UCT_CLAIM_END_ENTITY);
	ck_assert_int_eq(uct_cert_may_be_issuer(&c, 0), 1);
	c.is_ca = 1;
	ck_assert_int_eq(uct_cert_ca_claim(&c), UCT_CLAIM_CA);
	ck_assert_int_eq(uct_cert_may_be_issuer(&c, 0), 0);
	ck_assert_int_eq(uct_cert_may_be_issuer(&c, 1), 1);
	c.has_basic_constraints = 0;
	ck_assert_int_eq(uct_cert_ca_claim(&c), UCT_CLAIM_NONE);
	ck_assert_int_eq(uct_cert_may_be_issuer(&c, 1), 0);
	ck_assert_int_eq(uct_cert_may_be_issuer(NULL, 1), 0);
}
END_TEST

/*
 * The browsers' refusals live here alone: whatever a browser's database
 * trusts, Firefox refuses a CA:TRUE server certificate and every browser
 * one without SAN; a database's trust is enough for Firefox only where the
 * analysis asked no exception of it.
 */
static const struct {
	const char *name;
	struct uct_testcert_spec spec;
	const char *chromium, *firefox, *firefox_db;
} refusals[] = {
	{"self-signed CA:FALSE", {.cn = HOST}, NULL, NULL, NULL},
	{"self-signed CA:TRUE",
	 {.cn = HOST, .is_ca = 1},
	 NULL,
	 "MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY",
	 "MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY"},
	{"self-signed, no SAN",
	 {.cn = HOST, .no_san = 1},
	 "SSL_ERROR_BAD_CERT_DOMAIN",
	 "SSL_ERROR_BAD_CERT_DOMAIN",
	 "SSL_ERROR_BAD_CERT_DOMAIN"},
	{"self-signed, no basicConstraints",
	 {.cn = HOST, .no_basic_constraints = 1},
	 NULL,
	 NULL,
	 "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT"},
};

static void assert_code(const char *what, const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: %s", what, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0, "%s: %s", what,
			      got ? got : "(none)");
}

START_TEST(test_browser_refusals)
{
	struct uct_testcert *tc = uct_testcert_make(&refusals[_i].spec);
	struct uct_chain chain = {0};
	struct uct_config cfg;
	struct uct_analysis an;

	ck_assert_ptr_nonnull(tc);
	push(&chain, tc);
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = UCT_MODE_TOFU;
	uct_analyse(&(struct uct_analyse_ctx){.cfg = &cfg, .now = uct_now()}, HOST, 8445, &chain,
		    &an);
	assert_code(refusals[_i].name, uct_browser_refuses(&an, UCT_BROWSER_CHROMIUM),
		    refusals[_i].chromium);
	assert_code(refusals[_i].name, uct_browser_refuses(&an, UCT_BROWSER_FIREFOX),
		    refusals[_i].firefox);
	assert_code(refusals[_i].name, uct_firefox_db_refusal(&an), refusals[_i].firefox_db);
	uct_chain_clear(&chain);
	uct_testcert_free(tc);
}
END_TEST

START_TEST(test_unreachable_has_no_findings)
{
	struct uct_config cfg;
	struct uct_chain empty = {0};
	struct uct_analysis an;

	memset(&cfg, 0, sizeof(cfg));
	uct_analyse(&(struct uct_analyse_ctx){.cfg = &cfg, .now = uct_now()}, HOST, 443, &empty,
		    &an);
	ck_assert_int_eq(an.kind, UCT_CK_NONE);
	ck_assert_ptr_null(an.leaf);
	ck_assert_ptr_null(an.chromium.cert);
	ck_assert_int_eq(an.firefox_override, 0);
}
END_TEST

/*
 * An approved CA is anchored at the topmost approved certificate of the
 * path: a CA file with the root and the issuing CA, or pins on both, put
 * the root in Root; a pin on the issuing CA alone puts that CA in Root
 * (Chrome and Edge take a CA in Root as an anchor, self-signed or not),
 * and nothing ever goes to Windows' CA store, which no browser reads as
 * anchors.
 */
enum top_src {
	TOP_BUNDLE,
	TOP_BUNDLE_ISSUING_FIRST,
	TOP_PIN_ISSUING,
	TOP_PIN_BOTH,
	TOP_PIN_ISSUING_ROOT_SENT
};
static const struct {
	const char *name;
	enum top_src src;
	int want_root; /* 1: the root is the anchor; 0: the issuing CA */
	enum uct_approval approval;
} tops[] = {
	{"CA file root + issuing CA", TOP_BUNDLE, 1, UCT_AP_CA_FILE},
	{"CA file issuing CA + root", TOP_BUNDLE_ISSUING_FIRST, 1, UCT_AP_CA_FILE},
	{"pin on the issuing CA only", TOP_PIN_ISSUING, 0, UCT_AP_PINNED},
	{"pins on the issuing CA and the root", TOP_PIN_BOTH, 1, UCT_AP_PINNED},
	{"pin on the issuing CA, root sent but not approved", TOP_PIN_ISSUING_ROOT_SENT, 0,
	 UCT_AP_PINNED},
};

START_TEST(test_topmost_approved)
{
	struct uct_testcert *leaf;
	struct uct_chain chain = {0}, ca_certs = {0};
	struct uct_config cfg;
	struct uct_state state;
	struct uct_analysis an;
	unsigned char pins[2][UCT_SHA256_LEN];
	const struct uct_cert *root = NULL, *issuing;
	enum top_src src = tops[_i].src;

	make_cas();
	leaf = uct_testcert_make(&(struct uct_testcert_spec){.cn = HOST, .issuer = issuing_ca});
	ck_assert_ptr_nonnull(leaf);
	push(&chain, leaf);
	push(&chain, issuing_ca);
	if (src == TOP_PIN_BOTH || src == TOP_PIN_ISSUING_ROOT_SENT)
		push(&chain, root_ca);
	if (src == TOP_BUNDLE) {
		push(&ca_certs, root_ca);
		push(&ca_certs, issuing_ca);
	} else if (src == TOP_BUNDLE_ISSUING_FIRST) {
		push(&ca_certs, issuing_ca);
		push(&ca_certs, root_ca);
	}
	issuing = chain.certs[1];
	root = chain.n > 2      ? chain.certs[2]
	       : ca_certs.n > 0 ? ca_certs.certs[src == TOP_BUNDLE ? 0 : 1]
				: NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = src == TOP_BUNDLE || src == TOP_BUNDLE_ISSUING_FIRST ? UCT_MODE_TOFU
									: UCT_MODE_PINNED;
	if (cfg.mode == UCT_MODE_PINNED) {
		memcpy(pins[0], issuing->sha256, UCT_SHA256_LEN);
		if (src == TOP_PIN_BOTH)
			memcpy(pins[1], root->sha256, UCT_SHA256_LEN);
		cfg.pins = pins;
		cfg.n_pins = src == TOP_PIN_BOTH ? 2 : 1;
	}
	memset(&state, 0, sizeof(state));
	uct_analyse(&(struct uct_analyse_ctx){.cfg = &cfg,
					      .ca_certs = &ca_certs,
					      .state = &state,
					      .now = uct_now()},
		    HOST, 8445, &chain, &an);
	ck_assert_msg(an.approval == tops[_i].approval, "%s: approval %s", tops[_i].name,
		      uct_approval_name(an.approval));
	ck_assert_msg(an.chromium.cert == (tops[_i].want_root ? root : issuing), "%s: anchor %s",
		      tops[_i].name, an.chromium.cert != NULL ? an.chromium.cert->subject : "none");
	ck_assert_int_eq(an.chromium.trust, UCT_TRUST_ROOT);
	ck_assert_msg(an.firefox.cert == an.chromium.cert && an.firefox.trust == UCT_TRUST_ROOT,
		      "%s: Firefox gets the same anchor", tops[_i].name);
	ck_assert_msg(uct_win_store_for(&(struct uct_anchor){
			      .cert = an.chromium.cert, .trust = UCT_TRUST_ROOT}) == UCT_WIN_ROOT,
		      "%s: the anchor goes to Root", tops[_i].name);
	uct_state_free(&state);
	uct_chain_clear(&chain);
	uct_chain_clear(&ca_certs);
	uct_testcert_free(leaf);
}
END_TEST

/* No Windows store takes a CA-issued leaf: Chrome and Edge read a leaf
 * from TrustedPeople only when it is self-signed, Firefox not at all. */
START_TEST(test_win_no_ca_issued_leaf)
{
	struct uct_testcert *leaf;
	struct uct_cert *c;

	make_cas();
	leaf = uct_testcert_make(&(struct uct_testcert_spec){.cn = HOST, .issuer = issuing_ca});
	ck_assert_ptr_nonnull(leaf);
	c = uct_testcert_to_uct(leaf);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(uct_win_store_for(&(struct uct_anchor){.cert = c,
								.trust = UCT_TRUST_PEER}),
			 UCT_WIN_NONE);
	ck_assert_int_eq(uct_win_store_for(&(struct uct_anchor){.cert = c,
								.trust = UCT_TRUST_PEER_ONLY}),
			 UCT_WIN_NONE);
	uct_cert_free(c);
	uct_testcert_free(leaf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("analyse");
	TCase *tc = tcase_create("table");
	int rc;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_unreachable_has_no_findings);
	tcase_add_loop_test(tc, test_browser_refusals, 0,
			    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_loop_test(tc, test_shapes, 0, (int)(sizeof(shapes) / sizeof(shapes[0])));
	tcase_add_test(tc, test_anchor_check);
	tcase_add_loop_test(tc, test_topmost_approved, 0, (int)(sizeof(tops) / sizeof(tops[0])));
	tcase_add_test(tc, test_win_no_ca_issued_leaf);
	tcase_add_test(tc, test_claim_needs_v3);
	suite_add_tcase(s, tc);
	rc = uct_check_run_nofork(s);
	uct_testcert_free(root_ca);
	uct_testcert_free(issuing_ca);
	uct_testcert_free(other_ca);
	uct_testcert_free(v1_root);
	uct_testcert_cleanup();
	return rc;
}
