#ifndef CCITYCERT_STACK_H
#define CCITYCERT_STACK_H

#include <stdint.h>
#include <stddef.h>

/// The lowest stack address that recursion on the calling thread may reach while keeping `reserve`
/// bytes free; 0 when the thread's stack cannot be known (then no limit applies). Worked out once
/// per thread (pthread_getattr_np, a GNU extension Swift's Glibc module does not export).
uintptr_t citycert_stack_floor(size_t reserve);

#endif
