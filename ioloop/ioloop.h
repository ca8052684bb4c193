/* ioloop.h: the one header to include
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define __IOLOOP_H_INSIDE__

#include <ioloop/io-types.h>
#include <ioloop/io-enum-types.h>
#include <ioloop/io-timeout.h>
#include <ioloop/io-loop.h>
#include <ioloop/io-async.h>
#include <ioloop/io-periodic-callback.h>
#include <ioloop/io-signal.h>
#include <ioloop/io-child-watch.h>
#include <ioloop/io-glib.h>
#include <ioloop/io-stream.h>
#include <ioloop/io-listener.h>

#undef __IOLOOP_H_INSIDE__
