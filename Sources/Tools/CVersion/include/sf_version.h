/* The release all three tools report with --version. One source: the VERSION file at
 * the package root, which Package.swift reads and hands to version.c at build time. */
#ifndef SECCOMP_FORGE_VERSION_H
#define SECCOMP_FORGE_VERSION_H

const char *sf_version(void);

#endif
