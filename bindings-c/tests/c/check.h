/* The checks the C test programs share: each counts into `passed` / `failed` and prints
 * the failed condition with fastprom's last error. Every test program is one translation
 * unit, so the counters are static here. */
#ifndef FASTPROM_TEST_CHECK_H
#define FASTPROM_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "fastprom.h"

static int passed, failed;

#define CHECK(cond)                                                                                   \
    do {                                                                                              \
        if (cond) {                                                                                   \
            passed++;                                                                                 \
        } else {                                                                                      \
            failed++;                                                                                 \
            fprintf(stderr, "%s:%d: failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond,       \
                    fastprom_last_error());                                                           \
        }                                                                                             \
    } while (0)

/* The status is `want` and the last error contains `text`. */
#define CHECK_FAILS(call, want, text)                                                                 \
    do {                                                                                              \
        fastprom_status s_ = (call);                                                                  \
        CHECK(s_ == (want));                                                                          \
        CHECK(strstr(fastprom_last_error(), (text)) != NULL);                                         \
    } while (0)

#endif
