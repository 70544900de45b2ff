/*
 * jobs_table.h: the jobs saasd runs, a wiring table of the composition
 * root (beside app.c): it names svc/ jobs, so it lives above svc/.
 */
#ifndef SAASD_JOBS_TABLE_H
#define SAASD_JOBS_TABLE_H

#include "svc/jobs.h"

extern const struct job saasd_jobs[];
extern const int saasd_jobs_count;

#endif
