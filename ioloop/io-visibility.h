/* io-visibility.h: symbol export macros
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if defined (IOLOOP_COMPILATION) && defined (__GNUC__)
#  define IO_AVAILABLE_IN_ALL __attribute__ ((visibility ("default"))) extern
#else
#  define IO_AVAILABLE_IN_ALL extern
#endif
