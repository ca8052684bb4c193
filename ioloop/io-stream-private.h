/* io-stream-private.h: what io-stream.c and io-stream-connect.c share
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "io-stream.h"

G_BEGIN_DECLS

typedef struct _IoConnectOp IoConnectOp;

/* The stream connects for @op: its handler waits for WRITE. */
void  _io_stream_set_connecting       (IoStream    *self,
                                       IoConnectOp *op);
/* Closes a connecting stream without telling @op. */
void  _io_stream_abandon_connect      (IoStream    *self);

/* From the stream: connected, or closed before it was (@error nullable). */
void  _io_connect_op_stream_connected (IoConnectOp *op,
                                       IoStream    *stream);
void  _io_connect_op_stream_failed    (IoConnectOp *op,
                                       IoStream    *stream,
                                       const GError *error);

G_END_DECLS
