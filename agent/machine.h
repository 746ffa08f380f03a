/*
 * machine.h: the trust a machine-scope store may hold (machine.c). Machine
 * stores trust for every program and every user, so they hold only an
 * approved root or a self-signed CA:FALSE server certificate.
 */
#ifndef UCT_MACHINE_H
#define UCT_MACHINE_H

#include "analyse.h"
#include "platform.h"

/* 1 for a store of the machine scope (system anchors, /etc/pki/nssdb,
 * Firefox's policies.json). */
int uct_store_is_machine(const struct uct_store *store);
/* What such a store should hold for the analysed endpoint; want->cert is
 * NULL when it must hold nothing (the user scope covers the rest). */
void uct_machine_want(const struct uct_analysis *an, struct uct_want *want);
/* Why the machine's stores cannot make the endpoint trusted, and the next
 * step (the user-scope run at each login), for a run of the machine scope
 * that leaves it not trusted; NULL when the machine scope is not the reason
 * (a server fix, a refusal, an endpoint it does cover). Static string. */
const char *uct_machine_advice(const struct uct_analysis *an);

#endif
