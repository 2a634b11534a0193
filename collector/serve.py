"""Run the collector over HTTPS with uvicorn, and the one-time ``init`` of a data directory."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from canh.atomicfile import write_atomic
from collector.http_limits import Limits, guarded_protocol
from collector.logs import configure as configure_logging
from collector.settings import CONFIG_NAME, CollectorSettings, dump_settings, load_settings
from collector.store import Store
from collector.tls import TlsFiles, create_ca, default_names, issue_server_cert

log = logging.getLogger("canh.collector")


def init(
    data_dir: Path,
    listen_host: str = "127.0.0.1",
    listen_port: int = 8443,
    public_url: str | None = None,
    admin_password: str | None = None,
) -> tuple[CollectorSettings, str | None]:
    """Create settings, TLS material, the database and a first administrator.

    Returns the settings and the administrator password when one was generated (shown once).
    Running it again keeps what exists.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = data_dir / CONFIG_NAME
    if not config.exists():
        settings = CollectorSettings(
            data_dir=str(data_dir),
            listen_host=listen_host,
            listen_port=listen_port,
            public_url=public_url,
        )
        write_atomic(config, dump_settings(settings).encode(), 0o600)
    settings = load_settings(data_dir)
    files = TlsFiles(data_dir / "tls")
    if not files.ca_cert.exists():
        create_ca(files)
    if not files.server_cert.exists():
        issue_server_cert(files, default_names(settings.listen_host))
    store = Store(settings.db_path)
    store.start()
    password = None
    try:
        if store.user_by_name("admin") is None:
            password = admin_password or secrets.token_urlsafe(12)
            store.create_user("admin", password, "admin", None, actor="init")
    finally:
        store.close()
    return settings, password


CONCURRENCY = 2048


def _raise_file_limit(wanted: int) -> None:
    """Let the process hold ``wanted`` descriptors when its hard limit allows (the soft default
    of 1024 would make accept() fail before ``limit_concurrency`` connections)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# Young-generation threshold of the cyclic garbage collector (CPython's default is 700).
GC_YOUNG_THRESHOLD = 7000


def _tune_gc() -> None:
    """Keep the cyclic garbage collector off the ingest path (measured with gc.callbacks under
    bench/ingest.py's load: ~40 µs of collection per report with the defaults, ~1 µs after).

    Everything built so far (FastAPI, the routes, the rule packs) lives as long as the process:
    frozen, full collections no longer walk it (each took ~65 ms). A request allocates and frees
    a few hundred containers, so the default threshold of 700 ran a young collection every few
    reports although almost nothing survives them."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def serve(settings: CollectorSettings) -> None:
    """Serve until interrupted."""
    import uvicorn

    from collector.app import create_app

    configure_logging(settings.log_level)
    _raise_file_limit(2 * CONCURRENCY + 256)
    limits = Limits(
        header_timeout=settings.header_timeout_seconds,
        body_min_rate=settings.body_min_rate_bytes,
        max_body_bytes=settings.max_request_bytes,
    )
    files = TlsFiles(settings.path / "tls")
    app = create_app(settings)
    _tune_gc()
    log.info("collector starting", extra={"url": settings.url, "db": str(settings.db_path)})
    uvicorn.run(
        app,
        host=settings.listen_host,
        port=settings.listen_port,
        ssl_certfile=str(files.server_cert),
        ssl_keyfile=str(files.server_key),
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        # Served directly over TLS, not behind a proxy: never take a client address from
        # X-Forwarded-For (the login lockout keys on it).
        proxy_headers=False,
        timeout_graceful_shutdown=10,
        limit_concurrency=CONCURRENCY,
        # Idle keep-alive connections close after 5 s; slow requests are cut by ``limits``.
        timeout_keep_alive=5,
        http=guarded_protocol(limits),
    )
