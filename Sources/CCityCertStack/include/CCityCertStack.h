#ifndef CCITYCERT_STACK_H
#define CCITYCERT_STACK_H

#include <stddef.h>
#include <stdint.h>

/// The lowest stack address that recursion on the calling thread may reach while keeping `reserve`
/// bytes free (a quarter of the stack when that is less; 1 MiB more on a very large stack). Worked out
/// once per thread: pthread_getattr_np on Linux (a GNU extension that Swift's Glibc module does not
/// export; for the main thread glibc reads /proc/self/maps), pthread_get_stackaddr_np on Darwin.
/// 0 when the stack cannot be known: then only the callers' fixed depth limits apply.
uintptr_t citycert_stack_floor(size_t reserve);

#endif
