#ifndef CCITYCERT_PQ_SHIM_H
#define CCITYCERT_PQ_SHIM_H
#include <libpq-fe.h>
#endif
