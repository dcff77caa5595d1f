"""Live pages: "something changed" pushed to open browser pages, which then re-read what they show.

Three pieces (docs/push.md says why they are built so):
- `publish(session, tenant_id, topic)`, in any transaction: once it commits, a Redis PUBLISH on
  `siaga112:push:{tenant_id}` of `{"topic": topic}` and nothing else. The page that hears it re-fetches
  its fragment from the web app, which checks the reader's access as on any request; a rolled-back
  transaction publishes nothing, and a Redis that is away costs the push only (said in the log).
- `push_token` / `token_tenant`: a signed, timed token naming the tenant whose stream a page may open;
  the web app puts it in the page (`push_url`, a template global), the push server checks it.
- the push server (`siaga112 push`, started by `siaga112 up`): aiohttp, one event loop, one Redis
  pattern subscription for the whole process, fanned out in-process to every open stream of the
  tenant — a thousand open consoles cost a thousand idle sockets, not a thousand workers or Redis
  connections. aiohttp is imported only there, so the web workers never load it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections import defaultdict

from flask import Flask, current_app, has_app_context
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from .db import on_commit, on_rollback
from .dependencies import Backoff, OnceAMinute, redis_breaker
from .jobs.queues import redis_connection

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "siaga112:push:"
TOKEN_SALT = "push"
TOKEN_MAX_AGE = 12 * 3600  # a night shift and its handover: the page is reloaded at least that often
TOPIC = re.compile(r"[a-z][a-z0-9_.-]{0,39}")  # a name, never a value: nothing personal can ride along
HEARTBEAT_SECONDS = 15  # below the idle timeouts of the usual proxies (nginx 60 s), so a quiet stream stays up
RETRY_MS = 3000  # the browser's wait before it opens a dropped stream again
STREAM_BACKLOG = 32  # events a stream may have waiting; a reader that far behind gets one resync instead
REDIS_PING_SECONDS = 5.0  # how long the subscription may be silent before the push server asks Redis
RESYNC = "event: resync\ndata: {}\n\n"
_PENDING = "siaga112.push.pending"
_publish_report = OnceAMinute(log)


def channel(tenant_id) -> str:
    return f"{CHANNEL_PREFIX}{tenant_id}"


# --- publishing ----------------------------------------------------------------------------------

def publish(session: Session, tenant_id, topic: str) -> None:
    """Tell the tenant's open pages that `topic` changed, once this transaction has committed.

    Repeats within one transaction are sent once. Works from a request, an rq job or the CLI: outside
    a Flask app the Redis is the one the process's SIAGA_* settings name.
    """
    if not TOPIC.fullmatch(topic):
        raise ValueError(f"a push topic is a short lower-case name such as 'calls', got {topic!r}")
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {}
        url = _redis_url()
        on_commit(session, lambda: _send(url, session.info.pop(_PENDING, {})))
        on_rollback(session, lambda: session.info.pop(_PENDING, None))
    pending[(str(tenant_id), topic)] = None  # a dict: one per tenant and topic, in the order published


def _redis_url() -> str:
    if has_app_context():
        return current_app.config["SIAGA_REDIS_URL"]
    from .jobs.runtime import job_redis_url

    return job_redis_url()


def _send(url: str, pending: dict) -> None:
    def publish_all() -> bool:
        with redis_connection(url).pipeline(transaction=False) as pipe:
            for tenant_id, topic in pending:
                pipe.publish(channel(tenant_id), json.dumps({"topic": topic}))
            pipe.execute()
        return True

    if pending and not redis_breaker(url).call(publish_all, fallback=False):
        # The change itself is committed; an open page shows it on its next fetch or reload.
        _publish_report.warning("push: Redis away; open pages hear of this change on their next re-read",
                                topics=sorted({topic for _, topic in pending}))


# --- tokens --------------------------------------------------------------------------------------

def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT)


def push_token(secret_key: str, tenant_id, user_id) -> str:
    """A token that opens `tenant_id`'s stream for TOKEN_MAX_AGE seconds."""
    return _serializer(secret_key).dumps({"tenant": str(tenant_id), "user": str(user_id)})


def token_tenant(secret_key: str, token: str, max_age: int = TOKEN_MAX_AGE) -> str | None:
    """The tenant id a valid token names; None for a token that is expired, tampered with or not ours."""
    try:
        claims = _serializer(secret_key).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired and BadTimeSignature are BadSignatures too
        return None
    return claims.get("tenant") if isinstance(claims, dict) else None


def stream_url(tenant_id) -> str | None:
    """Template global `push_url(tenant_id)`: the signed-in person's stream of the tenant, or None when
    push is off or nobody is signed in (the page then re-reads on a timer, or on reload without script)."""
    from .identity.web_session import signed_in_user_id

    base = current_app.extensions["siaga112.settings"].push_url
    user_id = signed_in_user_id()
    if not base or user_id is None:
        return None
    return f"{base}/push/{tenant_id}?token={push_token(current_app.secret_key, tenant_id, user_id)}"


def init_push(app: Flask) -> None:
    app.jinja_env.globals["push_url"] = stream_url


# --- the push server ------------------------------------------------------------------------------

class Hub:
    """The process's one Redis pattern subscription, fanned out to the open streams of each tenant."""

    def __init__(self, redis_url: str):
        self.redis_url = redis_url
        self.streams: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self.subscribed = False
        self.report = OnceAMinute(log)

    def open(self, tenant_id: str) -> asyncio.Queue:
        stream: asyncio.Queue = asyncio.Queue(STREAM_BACKLOG)
        self.streams[tenant_id].add(stream)
        return stream

    def close(self, tenant_id: str, stream: asyncio.Queue) -> None:
        streams = self.streams.get(tenant_id)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self.streams[tenant_id]

    def open_streams(self) -> int:
        return sum(len(streams) for streams in self.streams.values())

    def deliver(self, tenant_id: str, event: str | None) -> None:
        for stream in self.streams.get(tenant_id, ()):
            _offer(stream, event)

    def deliver_all(self, event: str | None) -> None:
        for tenant_id in list(self.streams):
            self.deliver(tenant_id, event)

    async def listen(self) -> None:
        """Forever: subscribe, relay, and when Redis goes away keep every stream open and come back."""
        from redis.exceptions import RedisError

        backoff = Backoff(first=0.5, cap=10.0)
        while True:
            try:
                await self._relay(backoff)
            except (RedisError, OSError) as error:
                self.subscribed = False
                self.report.warning("push: Redis away; streams stay open, subscribing again when it is back",
                                    error=f"{type(error).__name__}: {error}", streams=self.open_streams())
            await asyncio.sleep(backoff.next())

    async def _relay(self, backoff: Backoff) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError

        # No retries inside redis-py: a silent reconnection would skip the resync the pages need.
        client = aioredis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=None,
                                   retry=Retry(NoBackoff(), 0))
        try:
            async with client.pubsub() as pubsub:
                await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                self.subscribed = True
                backoff.reset()
                log.info("push: subscribed", extra={"streams": self.open_streams()})
                self.deliver_all(RESYNC)  # whatever was published while nobody listened
                heard = time.monotonic()
                while True:
                    message = await pubsub.get_message(timeout=REDIS_PING_SECONDS)
                    if message is not None:
                        heard = time.monotonic()
                        if message["type"] == "pmessage":
                            self._relay_message(message)
                    elif time.monotonic() - heard > 3 * REDIS_PING_SECONDS:
                        raise RedisConnectionError("Redis did not answer its pings")
                    elif time.monotonic() - heard > REDIS_PING_SECONDS:
                        await pubsub.ping()  # its pong counts as heard
        finally:
            self.subscribed = False
            await client.aclose()

    def _relay_message(self, message: dict) -> None:
        tenant_id = message["channel"].decode().removeprefix(CHANNEL_PREFIX)
        try:
            topic = json.loads(message["data"]).get("topic", "")
        except (ValueError, AttributeError):
            topic = ""
        # Only a topic name goes on to the browser, whatever else someone put on the channel.
        if TOPIC.fullmatch(str(topic)):
            self.deliver(tenant_id, f"data: {json.dumps({'topic': topic})}\n\n")


def _offer(stream: asyncio.Queue, event: str | None) -> None:
    try:
        stream.put_nowait(event)
    except asyncio.QueueFull:  # a reader far behind: everything it missed is one re-read
        while not stream.empty():
            stream.get_nowait()
        stream.put_nowait(RESYNC if event is not None else None)


class PushServer:
    """The aiohttp handlers: `GET /push/{tenant_id}?token=…` (text/event-stream) and `GET /healthz`."""

    def __init__(self, redis_url: str, secret_key: str, allowed_origin: str):
        self.hub = Hub(redis_url)
        self.secret_key, self.allowed_origin = secret_key, allowed_origin

    def app(self):
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/push/{tenant_id}", self.stream)
        app.router.add_get("/healthz", self.healthz)
        app.cleanup_ctx.append(self._listening)
        app.on_shutdown.append(self._close_streams)
        return app

    async def _listening(self, _app):
        task = asyncio.create_task(self.hub.listen())
        yield
        task.cancel()

    async def _close_streams(self, _app) -> None:
        self.hub.deliver_all(None)  # each stream's handler ends, so shutting down waits for nobody

    def _cors(self) -> dict[str, str]:
        # EventSource from the web's pages when the push server is on another origin (a port of its own).
        return {"Access-Control-Allow-Origin": self.allowed_origin, "Vary": "Origin"}

    async def healthz(self, _request):
        from aiohttp import web

        return web.json_response({"status": "ok", "redis": "subscribed" if self.hub.subscribed else "waiting",
                                  "streams": self.hub.open_streams()})

    async def stream(self, request):
        from aiohttp import web

        tenant_id = _tenant_id(request.match_info["tenant_id"])
        token = request.query.get("token", "")
        if tenant_id is None or token_tenant(self.secret_key, token) != tenant_id:
            raise web.HTTPForbidden(text="This page may not follow that region's changes; reload the page.",
                                    headers=self._cors())
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx-style ingresses must not hold events back in a buffer
            **self._cors()})
        await response.prepare(request)
        events = self.hub.open(tenant_id)  # before the first byte: a reader who got it hears every publish after
        try:
            await response.write(f"retry: {RETRY_MS}\n: open\n\n".encode())
            while (event := await _next_event(events)) is not None:
                await response.write(event.encode())
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.hub.close(tenant_id, events)
        return response


async def _next_event(events: asyncio.Queue) -> str | None:
    try:
        async with asyncio.timeout(HEARTBEAT_SECONDS):
            return await events.get()
    except TimeoutError:
        return ": heartbeat\n\n"


def _tenant_id(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def serve(host: str, port: int, settings=None) -> None:
    """Run the push server until SIGTERM or SIGINT, for the settings' Redis, secret key and public origin."""
    from urllib.parse import urlsplit

    from aiohttp import web

    from .config import Settings
    from .embedded import redis_url_of
    from .secrets import stored_secret

    settings = settings or Settings.from_env()
    public = urlsplit(settings.public_url)
    server = PushServer(redis_url_of(settings), stored_secret(settings.data_dir, "flask-secret-key", settings.secret_key),
                        f"{public.scheme}://{public.netloc}")
    log.info("push: serving", extra={"host": host, "port": port})
    # No access log: a stream's address carries its token.
    web.run_app(server.app(), host=host, port=port, access_log=None, print=None, shutdown_timeout=5)
