/*
 * fuzz.h - what every libFuzzer target of t/fuzz shares: APR set up once,
 * a pool cleared after every input, and FUZZ_CHECK, which stops the run
 * (a crash libFuzzer records) when a property does not hold.
 */
#ifndef SMS_FUZZ_H
#define SMS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

/* Abort with the property's text when cond is false. */
#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

static apr_pool_t *fuzz_pool;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    apr_initialize();
    apr_pool_create(&fuzz_pool, NULL);
    return 0;
}

/* The pool of one input: cleared when the next input starts. */
static apr_pool_t *fuzz_input_pool(void)
{
    apr_pool_clear(fuzz_pool);
    return fuzz_pool;
}

/* A malloc'd NUL-terminated copy of data (freed by the caller), so that
 * AddressSanitizer sees any read past its end. */
static char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif /* SMS_FUZZ_H */
