#include "sf_version.h"

#ifndef SF_VERSION
#error "SF_VERSION is set by Package.swift from the VERSION file"
#endif

const char *sf_version(void) { return SF_VERSION; }
