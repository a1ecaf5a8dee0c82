"""The one settings class, read from ``RELAYDESK_*`` environment variables and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every configuration knob of relaydesk (see the README's configuration table)."""

    model_config = SettingsConfigDict(env_prefix="RELAYDESK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite+aiosqlite:///{Path.cwd() / 'relaydesk.db'}"
    )
    db_pool_size: int = 20  # PostgreSQL connections kept per process
    db_max_overflow: int = 20  # extra connections under bursts
    redis_url: str | None = None
    admin_token: str | None = None
    secret_key: str | None = None
    # earlier secret keys, comma-separated: they still decrypt (a key change without downtime;
    # `relaydesk rotate-secret-key` re-encrypts under secret_key, then drop them)
    secret_key_previous: str = ""
    public_url: str | None = None  # base URL used in links (uploads); default from request

    max_body_bytes: int = 1024 * 1024
    max_text_chars: int = 10_000
    max_metadata_bytes: int = 64 * 1024
    upload_dir: str = Field(default_factory=lambda: str(Path.cwd() / "relaydesk-uploads"))
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_allowed_types: str = (
        "image/*,application/pdf,text/plain,text/csv,audio/*,video/*,"
        "application/zip,application/msword,"
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    upload_url_ttl_s: int = 7 * 24 * 3600
    upload_quota_bytes_per_app: int = 5 * 1024**3  # all of an app's stored files (0: none)
    upload_unattached_ttl_s: int = 24 * 3600  # a file no message carries is deleted after
    upload_sweep_s: float = 60.0  # how often each worker process looks for such files
    token_ttl_s: int = 30 * 24 * 3600
    outbound_allow_hosts: str = ""  # host names, IPs or CIDRs tenants' URLs may reach
    auth_cache_s: float = 5.0  # reuse a resolved API-key / contact token this long (0: off)

    workers: bool = True  # run the bot-turn and webhook workers in this process
    worker_concurrency: int = 256  # bot turns in flight per process (I/O-bound)
    worker_app_max: int = 64  # bot turns / deliveries of one app in flight per process
    provider_threads: int = 64  # threads for blocking provider SDK calls (boto3, google-auth)
    worker_poll_s: float = 1.0
    turn_max_attempts: int = 5
    turn_backoff_base_s: float = 1.0
    turn_backoff_max_s: float = 30.0
    turn_lease_s: float = 60.0
    webhook_max_attempts: int = 12
    webhook_backoff_base_s: float = 2.0
    webhook_backoff_max_s: float = 3600.0
    webhook_timeout_s: float = 10.0
    auto_resolve_poll_s: float = 10.0
    hours_poll_s: float = 1.0  # how often workers look for desks that just opened
    # tests only: business hours see the real time shifted by this (every process the same)
    test_clock_offset_s: float = 0.0  # how often workers look for idle conversations
    shutdown_grace_s: int = 20  # on SIGTERM, how long requests in flight may finish
    ws_heartbeat_s: float = 25.0  # server {"type":"ping"} frames on idle sockets

    # rate limits, "<requests>/<seconds>" ("0/60" = off); shared through Redis when set
    rate_limit_login: str = "20/60"  # per email and client address
    rate_limit_login_address: str = "100/60"  # per client address, any emails (spraying)
    # slow clients: a connection must send its request line and headers within this...
    request_header_timeout_s: float = 10.0
    request_body_timeout_s: float = 120.0  # ...and its whole body within this (else 408)
    keep_alive_s: float = 5.0  # an idle keep-alive connection is closed after this

    rate_limit_widget_session: str = "60/60"  # per client address
    rate_limit_contact: str = "300/60"  # per contact, any request with a contact token
    rate_limit_contact_upload: str = "20/60"  # per contact, uploads

    ws_max_per_principal: int = 20  # open sockets of one contact / agent / API key (0: no cap)
    ws_max_contacts_per_app: int = 2000  # open widget sockets of one app's contacts (0: no cap)
    ws_compression: bool = False  # permessage-deflate on WebSockets (memory per socket)

    metrics_token: str | None = None  # when set, /metrics needs "Authorization: Bearer <it>"
    log_level: str = "info"
    log_format: str = "text"  # "json": one JSON object per line
    demo: bool = False  # set by `relaydesk demo`: allows running without a secret key

    @property
    def previous_secret_keys(self) -> list[str]:
        """``secret_key_previous`` as a list (blanks dropped)."""
        return [k.strip() for k in self.secret_key_previous.split(",") if k.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
