/*
 * nss_calls.h: NSS calls go through the table nss_dl.c fills. Included by
 * store_nss.c only, after the NSS headers, so that the code reads as plain
 * NSS; uct_nss_load() must have succeeded before any of them runs.
 */
#ifndef UCT_NSS_CALLS_H
#define UCT_NSS_CALLS_H

#include "nss_dl.h"

#define CERT_ChangeCertTrust uct_nss_api.CERT_ChangeCertTrust
#define CERT_CheckCertValidTimes uct_nss_api.CERT_CheckCertValidTimes
#define CERT_DecodeBasicConstraintValue uct_nss_api.CERT_DecodeBasicConstraintValue
#define CERT_DecodeTrustString uct_nss_api.CERT_DecodeTrustString
#define CERT_DestroyCertList uct_nss_api.CERT_DestroyCertList
#define CERT_DestroyCertificate uct_nss_api.CERT_DestroyCertificate
#define CERT_DupCertificate uct_nss_api.CERT_DupCertificate
#define CERT_FindCertExtension uct_nss_api.CERT_FindCertExtension
#define CERT_GetCertTrust uct_nss_api.CERT_GetCertTrust
#define CERT_GetDefaultCertDB uct_nss_api.CERT_GetDefaultCertDB
#define CERT_NewTempCertificate uct_nss_api.CERT_NewTempCertificate
#define CERT_VerifyCertName uct_nss_api.CERT_VerifyCertName
#define CERT_VerifyCertNow uct_nss_api.CERT_VerifyCertNow
#define NSS_InitContext uct_nss_api.NSS_InitContext
#define NSS_ShutdownContext uct_nss_api.NSS_ShutdownContext
#define PK11_FindCertFromDERCertItem uct_nss_api.PK11_FindCertFromDERCertItem
#define PK11_FreeSlot uct_nss_api.PK11_FreeSlot
#define PK11_GetInternalKeySlot uct_nss_api.PK11_GetInternalKeySlot
#define PK11_GetTokenName uct_nss_api.PK11_GetTokenName
#define PK11_HashBuf uct_nss_api.PK11_HashBuf
#define PK11_ImportCert uct_nss_api.PK11_ImportCert
#define PK11_InitPin uct_nss_api.PK11_InitPin
#define PK11_IsLoggedIn uct_nss_api.PK11_IsLoggedIn
#define PK11_ListCertsInSlot uct_nss_api.PK11_ListCertsInSlot
#define PK11_NeedLogin uct_nss_api.PK11_NeedLogin
#define PK11_NeedUserInit uct_nss_api.PK11_NeedUserInit
#define PR_ErrorToName uct_nss_api.PR_ErrorToName
#define PR_ErrorToString uct_nss_api.PR_ErrorToString
#define PR_GetError uct_nss_api.PR_GetError
#define PR_Now uct_nss_api.PR_Now
#define SECITEM_FreeItem uct_nss_api.SECITEM_FreeItem
#define SEC_DeletePermCertificate uct_nss_api.SEC_DeletePermCertificate

#endif
