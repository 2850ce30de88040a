/* log.h - one line on stderr via write(2), prefixed "libleak: ". Never allocates; usable
 * from any context including signal handlers. */
#ifndef LEAK_PRELOAD_LOG_H
#define LEAK_PRELOAD_LOG_H

/* Writes "libleak: " a [b] [c] "\n" (NULL parts are skipped). Preserves errno. */
void lk_warn(const char *a, const char *b, const char *c);

#endif
