/*
 * fuzz: the entry point every fuzz target defines.  Built with clang's
 * -fsanitize=fuzzer it is driven by libFuzzer; otherwise replay_main.c
 * feeds it the saved corpus files, so `meson test` replays every input
 * that ever found a bug without needing a fuzzer.
 */
#ifndef MLIST_FUZZ_H
#define MLIST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
