/* version.h: the release version, reported by `saasd version` and /health. */
#ifndef SAASD_VERSION_H
#define SAASD_VERSION_H
#define SAASD_VERSION "0.1.0"
#endif
