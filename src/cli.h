/* Shared by the command-line front ends: src/main.c and src/main_review.c. */
#ifndef KAKUIN_CLI_H
#define KAKUIN_CLI_H

#include "kakuin/err.h"

/* Prints "kakuin: WHAT: detail" to stderr; returns the exit status 1. */
int kk_cli_fail(const char *what, const kk_err *e);
/* `kakuin review ...` (argv[0] is "review"); returns the exit status. */
int kk_review_main(int argc, char **argv);

#endif
