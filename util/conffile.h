/* conffile.h - a libconfig file, and every file it @includes, checked
 * before libconfig reads it.
 *
 * libconfig 1.5 trusts its input: it opens an @include'd FIFO and waits on
 * it for ever; it reads a file of any size; it cuts a string at a NUL byte
 * and goes on; it stores 5000000000 as 705032704 without a word; and each
 * member added to a group is compared with every member before it, so a
 * file of 60,000 keys takes a minute to parse. Config files come from
 * people and scripts, so every loader (station and profile files, central's
 * file, regulation tables) runs this first, and does not hand the file to
 * libconfig when it refuses.
 *
 * What is checked, per file (the top one and each @include, resolved as
 * libconfig resolves it: include_dir "/" name, or name without one):
 *  - a regular file (not a FIFO, a device, a socket or a folder), opened
 *    without blocking;
 *  - at most WWTP_CONFFILE_MAX_BYTES bytes, and all files of one load
 *    together (includes counted each time) at most WWTP_CONFFILE_MAX_TOTAL;
 *  - no NUL byte;
 *  - @include at most WWTP_CONFFILE_MAX_DEPTH deep (libconfig's own limit);
 *  - groups nested at most WWTP_CONFFILE_MAX_NEST deep, at most
 *    WWTP_CONFFILE_MAX_MEMBERS named settings in one group (the top level
 *    counts as a group);
 *  - integer literals that fit in 32 bits unless written with L (what
 *    libconfig would change silently). These are reported but do not stop
 *    the load: libconfig can still read the file, so the rest of its
 *    problems are reported too. */
#ifndef WWTP_CONFFILE_H
#define WWTP_CONFFILE_H

#include "diag.h"

#define WWTP_CONFFILE_MAX_BYTES (1024 * 1024)
#define WWTP_CONFFILE_MAX_TOTAL (4 * 1024 * 1024)
#define WWTP_CONFFILE_MAX_DEPTH 10
#define WWTP_CONFFILE_MAX_NEST 32
#define WWTP_CONFFILE_MAX_MEMBERS 256

/* Checks path and what it includes; include_dir as given to
 * config_set_include_dir (NULL: none). Problems go to diag as "FILE:LINE:
 * what is wrong: what to do". Returns 0 when libconfig may read the file
 * (integer literal problems may have been added), WWTP_ERR_CONFIG when it
 * must not, WWTP_ERR_NOMEM. */
int wwtp_conffile_check(const char *path, const char *include_dir, struct wwtp_diag *diag);

#endif
