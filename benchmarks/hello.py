"""The floor: a hello-world app (WSGI and ASGI) each candidate server runs beside the gateway."""

BODY = b'{"object": "list", "data": []}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


def wsgi(environ, start_response):
    start_response("200 OK", [(k.decode(), v.decode()) for k, v in HEADERS])
    return [BODY]


async def asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = (await receive())["type"]
            await send({"type": message + ".complete"})  # lifespan.startup / lifespan.shutdown
            if message == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
