#define _GNU_SOURCE
#include <pthread.h>

#include "CCityCertStack.h"

static __thread uintptr_t cached_floor;
static __thread int cached;

uintptr_t citycert_stack_floor(size_t reserve) {
    if (cached) return cached_floor;
    uintptr_t floor = 0;
#if defined(__linux__)
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
        void *low = NULL;
        size_t size = 0;
        if (pthread_attr_getstack(&attributes, &low, &size) == 0 && low != NULL && size > 2 * reserve) {
            floor = (uintptr_t)low + reserve;
        }
        pthread_attr_destroy(&attributes);
    }
#endif
    cached_floor = floor;
    cached = 1;
    return floor;
}
