#define _GNU_SOURCE
#include <pthread.h>

#include "CCityCertStack.h"

static __thread uintptr_t cached_floor;
static __thread int cached;

/// The floor for a stack of `size` bytes from `low`: `reserve` bytes above its end, or a quarter of a
/// small stack; a very large stack (the main thread's under `ulimit -s unlimited`, whose reported size
/// runs to the next mapping) also keeps the kernel's 1 MiB stack guard gap free.
static uintptr_t floor_for(uintptr_t low, size_t size, size_t reserve) {
    size_t keep = reserve < size / 4 ? reserve : size / 4;
    if (size >= ((size_t)64 << 20)) keep = reserve + ((size_t)1 << 20);
    return low + keep;
}

uintptr_t citycert_stack_floor(size_t reserve) {
    if (cached) return cached_floor;
    uintptr_t floor = 0;
#if defined(__linux__)
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
        void *low = NULL;
        size_t size = 0;
        if (pthread_attr_getstack(&attributes, &low, &size) == 0 && low != NULL && size > 0) {
            floor = floor_for((uintptr_t)low, size, reserve);
        }
        pthread_attr_destroy(&attributes);
    }
#elif defined(__APPLE__)
    // Darwin gives the stack's top (its highest address) and size.
    uintptr_t top = (uintptr_t)pthread_get_stackaddr_np(pthread_self());
    size_t size = pthread_get_stacksize_np(pthread_self());
    if (top != 0 && size > 0 && size < top) floor = floor_for(top - size, size, reserve);
#endif
    cached_floor = floor;
    cached = 1;
    return floor;
}
