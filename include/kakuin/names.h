/*
 * The one rule for the DNS names kakuin may issue for, shared by the RA's newOrder
 * check (src/ra_order.c) and the pre-issuance lint (src/lint_cert.c), so an order the
 * lint would refuse at finalize is refused when it is placed (BR 4.2.2, 7.1.2.7.12).
 */
#ifndef KAKUIN_NAMES_H
#define KAKUIN_NAMES_H

/* NULL if kakuin may certify name, else why not: a static string that names the rule
 * (RFC 1035 syntax, no IP address, no reserved or internal name, not itself a public
 * suffix, no wildcard directly over one). name is lower case, NUL-terminated; "*." is
 * allowed only as the whole leftmost label. Thread-safe. */
const char *kk_dns_name_problem(const char *name);

#endif
