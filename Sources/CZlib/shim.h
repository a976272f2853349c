#ifndef SKUCAST_CZLIB_SHIM_H
#define SKUCAST_CZLIB_SHIM_H
#include <zlib.h>
#endif
