/* kakuin: one binary with subcommands (init, serve, org). */
#include <stdio.h>
#include <string.h>

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kakuin init --data-dir DIR\n"
	    "       kakuin serve --data-dir DIR [--listen ADDR:PORT] [--http01-port N]\n"
	    "                    [--dns-resolver ADDR:PORT]\n"
	    "       kakuin org set --data-dir DIR [--name O] [--unit OU] [--locality L] [--state ST]\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	usage();
	(void)argv;
	return 2;
}
