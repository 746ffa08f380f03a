/*
 * nss_dl.h: the NSS library loaded with dlopen when the first database is
 * opened, not at start: a login run whose databases are unchanged (their
 * answers kept, agent/vcache.c) never maps NSS at all.
 */
#ifndef UCT_NSS_DL_H
#define UCT_NSS_DL_H

#include <cert.h>
#include <certdb.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <prtime.h>
#include <secitem.h>

#include "platform.h"

/* Every NSS function the agent calls (store_nss.c), X(name). */
#define UCT_NSS_FUNCTIONS(X)               \
	X(CERT_ChangeCertTrust)            \
	X(CERT_CheckCertValidTimes)        \
	X(CERT_DecodeBasicConstraintValue) \
	X(CERT_DecodeTrustString)          \
	X(CERT_DestroyCertList)            \
	X(CERT_DestroyCertificate)         \
	X(CERT_DupCertificate)             \
	X(CERT_FindCertExtension)          \
	X(CERT_GetCertTrust)               \
	X(CERT_GetDefaultCertDB)           \
	X(CERT_NewTempCertificate)         \
	X(CERT_VerifyCertName)             \
	X(CERT_VerifyCertNow)              \
	X(NSS_InitContext)                 \
	X(NSS_ShutdownContext)             \
	X(PK11_FindCertFromDERCertItem)    \
	X(PK11_FreeSlot)                   \
	X(PK11_GetInternalKeySlot)         \
	X(PK11_GetTokenName)               \
	X(PK11_HashBuf)                    \
	X(PK11_ImportCert)                 \
	X(PK11_InitPin)                    \
	X(PK11_IsLoggedIn)                 \
	X(PK11_ListCertsInSlot)            \
	X(PK11_NeedLogin)                  \
	X(PK11_NeedUserInit)               \
	X(PR_ErrorToName)                  \
	X(PR_ErrorToString)                \
	X(PR_GetError)                     \
	X(PR_Now)                          \
	X(SECITEM_FreeItem)                \
	X(SEC_DeletePermCertificate)

#define UCT_NSS_FIELD(name) __typeof__(name) *name;
struct uct_nss_api {
	UCT_NSS_FUNCTIONS(UCT_NSS_FIELD)
};
#undef UCT_NSS_FIELD

/* Filled by uct_nss_load; valid once it returned 0. */
extern struct uct_nss_api uct_nss_api;

/* Load libnss3 (with NSPR and nssutil) once. -1 with UCT_E_SYSTEM when it
 * is missing or lacks a function, saying which package to install. */
int uct_nss_load(struct uct_err *err);

/* Where libnss3.so is or would be loaded from: the directory of the
 * libcrypto this process uses (Debian's multiarch directory, /usr/lib64 on
 * Red Hat), or NSS's own path once loaded. Into buf; -1 when unknown. */
int uct_nss_library_path(char *buf, size_t size);

#endif
