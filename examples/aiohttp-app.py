#!/usr/bin/python3
# aiohttp-app.py: an aiohttp web server and its client on ioloop's asyncio event loop
#
# Copyright 2026 The ioloop authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An ordinary aiohttp program (web.Application, AppRunner and TCPSite,
# ClientSession, WebSockets on both sides), started with asyncio.run()
# after one extra line, ioloop.install(): every asyncio loop it makes is
# then ioloop.EventLoop, on an Io.Loop (the IOLOOP_BACKEND environment
# variable picks the backend).
#
#   python3 aiohttp-app.py               serve on a free port of 127.0.0.1,
#                                        query every route with a
#                                        ClientSession, print, exit
#   python3 aiohttp-app.py --serve [PORT]  serve until Ctrl-C (default 8891;
#                                        0 picks a free port)
#   curl http://127.0.0.1:8891/
#
# Uninstalled, from the build tree (see tests/python/Makefile.am):
#   GI_TYPELIB_PATH=introspection LD_LIBRARY_PATH=ioloop/.libs \
#   PYTHONPATH=$srcdir/python python3 $srcdir/examples/aiohttp-app.py

import asyncio
import hashlib
import sys

import aiohttp
from aiohttp import web

import ioloop


def loop_description():
    """What runs this program: the asyncio loop's class and its engine."""
    loop = asyncio.get_running_loop()
    if isinstance(loop, ioloop.EventLoop):
        return 'ioloop.EventLoop, backend %s' % loop.io_loop.get_backend()
    return '%s.%s' % (type(loop).__module__, type(loop).__qualname__)


routes = web.RouteTableDef()


@routes.get('/')
async def hello(request):
    return web.Response(text='Hello from aiohttp %s on %s\n'
                        % (aiohttp.__version__, loop_description()))


@routes.get('/sleep')
async def sleep(request):
    ms = int(request.query.get('ms', '10'))
    await asyncio.sleep(ms / 1000)
    return web.json_response({'slept_ms': ms})


@routes.post('/digest')
async def digest(request):
    """The SHA-256 of the body, read in pieces as it arrives."""
    h = hashlib.sha256()
    length = 0
    async for chunk in request.content.iter_chunked(65536):
        h.update(chunk)
        length += len(chunk)
    return web.json_response({'length': length, 'sha256': h.hexdigest()})


@routes.get('/count')
async def count(request):
    """A streamed (chunked) response, written piece by piece."""
    response = web.StreamResponse()
    await response.prepare(request)
    for i in range(int(request.query.get('n', '5'))):
        await response.write(b'%d\n' % i)
        await asyncio.sleep(0.001)
    await response.write_eof()
    return response


@routes.get('/ws')
async def websocket(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            await ws.send_str(msg.data.upper())
    return ws


async def query_everything(port):
    """The client side: one ClientSession, printing what the server answers."""
    base = 'http://127.0.0.1:%d' % port
    async with aiohttp.ClientSession() as session:
        async with session.get(base + '/') as r:
            print('GET / -> %d %s' % (r.status, (await r.text()).strip()))

        async def get_json(url):
            async with session.get(url) as r:
                return await r.json()
        answers = await asyncio.gather(*[get_json('%s/sleep?ms=%d' % (base, 20 * i))
                                         for i in range(1, 11)])
        print('GET /sleep x10 -> %s %s ... (%d answers)' % (answers[0], answers[1], len(answers)))

        body = bytes(range(256)) * 4096         # 1 MiB
        async with session.post(base + '/digest', data=body) as r:
            print('POST /digest (1 MiB) -> %d %s' % (r.status, await r.text()))
        print('expected sha256 %s' % hashlib.sha256(body).hexdigest())

        async with session.get(base + '/count?n=5') as r:
            chunks = [chunk async for chunk in r.content.iter_any()]
            print('GET /count -> %d %r' % (r.status, b''.join(chunks).decode()))

        async with session.get(base + '/missing') as r:
            print('GET /missing -> %d' % r.status)

        async with session.ws_connect(base + '/ws') as ws:
            await ws.send_str('hello websocket')
            msg = await ws.receive()
            print('WebSocket -> %s' % msg.data)


async def main(argv):
    serve = argv[:1] == ['--serve']
    port = int(argv[1]) if serve and len(argv) > 1 else (8891 if serve else 0)
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', port)
    await site.start()
    port = runner.addresses[0][1]
    print('listening on port %d (%s)' % (port, loop_description()), flush=True)
    try:
        if serve:
            await asyncio.Event().wait()        # until Ctrl-C
        else:
            await query_everything(port)
    finally:
        await runner.cleanup()
    print('done')


if __name__ == '__main__':
    ioloop.install()
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print('interrupted')
