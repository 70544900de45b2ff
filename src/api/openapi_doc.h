/*
 * openapi_doc.h: the OpenAPI document (openapi.yaml) as compact JSON, built
 * into the binary by scripts/embed-openapi.py (build/gen/openapi_json.c).
 * Read-only data; GET /openapi.json (openapi.c) serves it as it is.
 */
#ifndef SAASD_OPENAPI_DOC_H
#define SAASD_OPENAPI_DOC_H

#include <stddef.h>

extern const char openapi_json[];
extern const size_t openapi_json_len;
/* a strong entity tag, quotes included: a hash of openapi_json */
extern const char openapi_etag[];

#endif
