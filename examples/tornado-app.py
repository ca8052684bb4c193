#!/usr/bin/python3
# tornado-app.py: a Tornado 6 web application on ioloop's asyncio event loop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An ordinary Tornado 6 program (tornado.web handlers, coroutine handlers,
# a WebSocket, HTTPServer, AsyncHTTPClient), started with asyncio.run()
# after one extra line, ioloop.install(): every asyncio loop it makes is
# then ioloop.EventLoop, on an Io.Loop (the IOLOOP_BACKEND environment
# variable picks the backend).
#
#   python3 tornado-app.py               serve on a free port of 127.0.0.1,
#                                        fetch every page from itself with
#                                        AsyncHTTPClient, print, exit
#   python3 tornado-app.py --serve [PORT]  serve until Ctrl-C (default 8890;
#                                        0 picks a free port)
#   curl http://127.0.0.1:8890/
#
# Uninstalled, from the build tree (see tests/python/Makefile.am):
#   GI_TYPELIB_PATH=introspection LD_LIBRARY_PATH=ioloop/.libs \
#   PYTHONPATH=$srcdir/python python3 $srcdir/examples/tornado-app.py

import asyncio
import hashlib
import sys
import threading

import tornado.gen
import tornado.httpclient
import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web
import tornado.websocket

import ioloop


def loop_description():
    """What runs this program: the asyncio loop's class and its engine."""
    loop = asyncio.get_running_loop()
    if isinstance(loop, ioloop.EventLoop):
        return 'ioloop.EventLoop, backend %s' % loop.io_loop.get_backend()
    return '%s.%s' % (type(loop).__module__, type(loop).__qualname__)


class HelloHandler(tornado.web.RequestHandler):
    def get(self):
        self.write('Hello from Tornado %s on %s\n' % (tornado.version, loop_description()))


class SleepHandler(tornado.web.RequestHandler):
    """A coroutine handler: its request waits without blocking the others."""

    async def get(self):
        ms = int(self.get_argument('ms', '10'))
        await asyncio.sleep(ms / 2000)          # asyncio's sleep ...
        await tornado.gen.sleep(ms / 2000)      # ... and Tornado's
        self.write({'slept_ms': ms})


class ProxyHandler(tornado.web.RequestHandler):
    """A coroutine handler that fetches a page of this very server."""

    async def get(self):
        client = tornado.httpclient.AsyncHTTPClient()
        response = await client.fetch('http://127.0.0.1:%d/' % self.application.port)
        self.write({'upstream_code': response.code, 'upstream_body': response.body.decode()})


class DigestHandler(tornado.web.RequestHandler):
    """POST: the SHA-256 of the body, computed in the default executor
    (a worker thread) while the loop goes on serving."""

    async def post(self):
        body = self.request.body
        loop_thread = threading.get_ident()

        def digest():
            return hashlib.sha256(body).hexdigest(), threading.get_ident() != loop_thread
        hexdigest, in_worker = await tornado.ioloop.IOLoop.current().run_in_executor(None, digest)
        self.write({'length': len(body), 'sha256': hexdigest, 'in_worker_thread': in_worker})


class CountHandler(tornado.web.RequestHandler):
    """A streamed (chunked) response, flushed piece by piece."""

    async def get(self):
        for i in range(int(self.get_argument('n', '5'))):
            self.write('%d\n' % i)
            await self.flush()


class EchoWebSocket(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message.upper() if isinstance(message, str) else message)


def make_app(port):
    app = tornado.web.Application([
        (r'/', HelloHandler),
        (r'/sleep', SleepHandler),
        (r'/proxy', ProxyHandler),
        (r'/digest', DigestHandler),
        (r'/count', CountHandler),
        (r'/ws', EchoWebSocket),
    ])
    app.port = port
    return app


async def fetch_everything(port):
    """The client side: AsyncHTTPClient and a WebSocket client, printing
    what the server answers."""
    base = 'http://127.0.0.1:%d' % port
    client = tornado.httpclient.AsyncHTTPClient()

    response = await client.fetch(base + '/')
    print('GET / -> %d %s' % (response.code, response.body.decode().strip()))

    # Ten coroutine requests at once: they overlap, so together they take
    # about as long as the longest one.
    responses = await asyncio.gather(*[client.fetch('%s/sleep?ms=%d' % (base, 20 * i))
                                       for i in range(1, 11)])
    print('GET /sleep x10 -> %s' % ' '.join(r.body.decode() for r in responses[:2]) + ' ...'
          ' (%d answers)' % len(responses))

    response = await client.fetch(base + '/proxy')
    print('GET /proxy -> %d %s' % (response.code, response.body.decode()))

    body = bytes(range(256)) * 4096             # 1 MiB
    response = await client.fetch(base + '/digest', method='POST', body=body)
    print('POST /digest (1 MiB) -> %d %s' % (response.code, response.body.decode()))
    print('expected sha256 %s' % hashlib.sha256(body).hexdigest())

    chunks = []
    response = await client.fetch(base + '/count?n=5', streaming_callback=chunks.append)
    print('GET /count -> %d %r' % (response.code, b''.join(chunks).decode()))

    try:
        await client.fetch(base + '/missing')
    except tornado.httpclient.HTTPClientError as e:
        print('GET /missing -> %d' % e.code)

    ws = await tornado.websocket.websocket_connect('ws://127.0.0.1:%d/ws' % port)
    await ws.write_message('hello websocket')
    print('WebSocket -> %s' % (await ws.read_message()))
    ws.close()


async def main(argv):
    serve = argv[:1] == ['--serve']
    port = int(argv[1]) if serve and len(argv) > 1 else (8890 if serve else 0)
    sockets = tornado.netutil.bind_sockets(port, '127.0.0.1')
    port = sockets[0].getsockname()[1]
    server = tornado.httpserver.HTTPServer(make_app(port))
    server.add_sockets(sockets)
    print('listening on port %d (%s)' % (port, loop_description()), flush=True)
    try:
        if serve:
            await asyncio.Event().wait()        # until Ctrl-C
        else:
            await fetch_everything(port)
    finally:
        server.stop()
        await server.close_all_connections()
    print('done')


if __name__ == '__main__':
    ioloop.install()
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print('interrupted')
