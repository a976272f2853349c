#ifndef SKUCAST_CRDKAFKA_SHIM_H
#define SKUCAST_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#endif
