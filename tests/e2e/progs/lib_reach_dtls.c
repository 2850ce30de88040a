/* SPDX-License-Identifier: MIT */
/* lib_reach_dtls.c - a dlopen'd library with its own __thread variable: its TLS block is
 * allocated at the first access (dynamic TLS, found through the DTV). reach_roots dtls stores
 * its marker block there and nowhere else. */
__thread void *dt_marker;

void dtls_set(void *(*make)(void));

void dtls_set(void *(*make)(void))
{
	dt_marker = make();
}
