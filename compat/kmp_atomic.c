/*
 * kmp_atomic.c - the __kmpc_atomic_* entry points (libomp's atomic ABI).
 */
#include "kmp.h"
