/*
 * audit_phase.h: what the pipeline hands the audit log before and after a
 * handler runs: the route's audit action, the client's address and user
 * agent (before), and audit_finish with the handler's outcome (after).
 */
#ifndef SAASD_AUDIT_PHASE_H
#define SAASD_AUDIT_PHASE_H

#include "request.h"

/* Fill req->ctx.audit for the matched route (before the handler). */
void audit_phase_begin(struct request *req);
/* After the handler returned st: write the entry it has not written yet. */
void audit_phase_end(struct request *req, enum status st);

#endif
