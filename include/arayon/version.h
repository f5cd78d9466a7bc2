/* arayon/version.h - compile-time version of the arayon API. */
#ifndef ARAYON_VERSION_H
#define ARAYON_VERSION_H

#define ARAYON_VERSION_MAJOR 0
#define ARAYON_VERSION_MINOR 1
#define ARAYON_VERSION_PATCH 0
#define ARAYON_VERSION_STRING "0.1.0"
/* One number that grows with every API addition: (major << 16) | (minor << 8) | patch. */
#define ARAYON_API_VERSION                                                                   \
    ((ARAYON_VERSION_MAJOR << 16) | (ARAYON_VERSION_MINOR << 8) | ARAYON_VERSION_PATCH)

#endif
