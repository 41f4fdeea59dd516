/* unittest.h - for what a file keeps to itself but its unit test calls.
 *
 * WWTP_PRIVATE in front of such a function or table makes it `static` in
 * the programs and external in the copy of the file built for a white-box
 * unit test (-DWWTP_UNITTEST: the Makefile's *_WHITEBOX lists, which link
 * that copy before the libraries). Its declarations, and the types they
 * need, sit in the file's X-private.h, under #ifdef WWTP_UNITTEST, so that
 * nothing else can reach them by accident. */
#ifndef WWTP_UNITTEST_H
#define WWTP_UNITTEST_H

#ifdef WWTP_UNITTEST
#define WWTP_PRIVATE
#else
#define WWTP_PRIVATE static
#endif

#endif
