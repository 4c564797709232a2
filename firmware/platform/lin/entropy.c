/*
 * The lin runtime's entropy (entropy.js): the kernel's CSPRNG through
 * getrandom(2), which blocks only until the pool is first seeded at boot.
 * The SDK's Math.random on Linux is the C library's rand(), never seeded,
 * so it repeats on every run; DTLS randoms, IVs and CoAP tokens come from here.
 * A failure throws: the firmware then stops rather than use weak bytes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include "xsmc.h"

void xs_lin_entropy_fill(xsMachine *the)
{
	xsIntegerValue length = xsmcGetArrayBufferLength(xsArg(0));
	uint8_t *bytes = xsmcToArrayBuffer(xsArg(0));
	xsIntegerValue done = 0;
	while (done < length) {
		ssize_t n = getrandom(bytes + done, (size_t)(length - done), 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			xsUnknownError("getrandom failed");
		}
		done += (xsIntegerValue)n;
	}
}
