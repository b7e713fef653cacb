"""The shape of the settings: one dataclass per section of config/*.toml (read by settings.py).

Fields carry no default: every value comes from config/default.toml, overridden by the environment's
file and variables. The only exceptions are the secrets, which are empty when nobody set them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CoreSettings:
    """The keys at the top of the files: Flask's own and the application's."""

    ENV: str
    DATABASE_URL: str
    INSTANCE_PATH: str
    TESTING: bool
    BABEL_DEFAULT_LOCALE: str
    LANGUAGES: list[str]
    BABEL_DEFAULT_TIMEZONE: str
    SESSION_COOKIE_SECURE: bool
    REMEMBER_COOKIE_SECURE: bool
    PREFERRED_URL_SCHEME: str
    PERMANENT_SESSION_LIFETIME_HOURS: int
    MAX_CONTENT_LENGTH: int
    WTF_CSRF_ENABLED: bool
    RATELIMIT_ENABLED: bool
    RATELIMIT_STORAGE_URI: str
    LOGIN_RATE_LIMIT: str
    API_TOKEN_RATE_LIMIT: str
    ACCOUNT_LOGIN_RATE_LIMIT: str
    PASSWORD_RESET_RATE_LIMIT: str
    JOIN_REQUEST_RATE_LIMIT: str
    PASSWORD_MIN_LENGTH: int
    TRUSTED_PROXIES: int
    STORAGE_BACKEND: str
    STORAGE_LOCAL_ROOT: str
    PUBLIC_BASE_URL: str
    RUN_SCHEDULER_IN_PROCESS: bool
    SECRET_KEY: str = ""  # a secret: from MUTUALISATION_SECRET_KEY, or generated (settings.py)


@dataclass(frozen=True)
class MapSection:
    tile_url: str
    tile_attribution: str
    tile_subdomains: str


@dataclass(frozen=True)
class GeocodingSection:
    provider: str
    ban_domain: str
    nominatim_user_agent: str
    timeout_seconds: float


@dataclass(frozen=True)
class PaginationSection:
    default_per_page: int
    max_per_page: int


@dataclass(frozen=True)
class AgreementsSection:
    proposal_expiry_days: int
    approval_reminder_days: int
    end_reminder_days: int
    auto_complete_days: int
    max_photo_bytes: int
    max_pdf_bytes: int


@dataclass(frozen=True)
class MailSection:
    host: str
    port: int
    use_tls: bool
    starttls: bool
    username: str
    sender: str
    timeout_seconds: float
    max_attempts: int
    backoff_base_seconds: int
    batch_size: int
    lease_seconds: int
    password: str = field(default="", repr=False)  # a secret: MUTUALISATION_MAIL__PASSWORD only


@dataclass(frozen=True)
class SchedulerSection:
    leader_check_seconds: float
    outbox_interval_seconds: float
    daily_digest_hour: int
    weekly_digest_day: str
    weekly_digest_hour: int
    listing_expiry_hour: int
    job_runs_keep_days: int


@dataclass(frozen=True)
class ExpirySection:
    warning_days: int
    renewal_days: int


@dataclass(frozen=True)
class MatchingSection:
    """The `[matching]` table; matching/scoring.py turns it into its MatchingConfig."""

    weight_subcategory: float
    weight_distance: float
    weight_window: float
    weight_quantity: float
    weight_cooperation: float
    subcategory_wildcard_factor: float
    quantity_unspecified_factor: float
    window_open_partial_factor: float
    decay_km: dict[str, float]
    remote_decay_km: float
    default_max_distance_km: float
    default_radius_km: dict[str, float]
    top_k: int
    min_score: float
    notify_score: float


@dataclass(frozen=True)
class PageCacheSection:
    """Caching of the hot logged-in pages (page_cache.py)."""

    seconds: int
    store: str
    max_entries: int


@dataclass(frozen=True)
class AccessibilitySection:
    """What the accessibility statement declares (RGAA 4.1 model)."""

    status: str
    audit_date: str
    compliance_rate: str
    publisher: str
    contact_email: str
    contact_url: str

    STATUSES = ("full", "partial", "none")

    @property
    def audited(self) -> dt.date | None:
        """The day of the last audit; `settings._validate` refused any other shape at start-up."""
        return dt.date.fromisoformat(self.audit_date) if self.audit_date else None


SECTIONS: dict[str, type] = {
    "map": MapSection,
    "geocoding": GeocodingSection,
    "pagination": PaginationSection,
    "agreements": AgreementsSection,
    "mail": MailSection,
    "scheduler": SchedulerSection,
    "expiry": ExpirySection,
    "matching": MatchingSection,
    "page_cache": PageCacheSection,
    "accessibility": AccessibilitySection,
}


@dataclass(frozen=True)
class Settings:
    """Every setting, typed: `core` holds the top-level keys, the others one section each."""

    core: CoreSettings
    map: MapSection
    geocoding: GeocodingSection
    pagination: PaginationSection
    agreements: AgreementsSection
    mail: MailSection
    scheduler: SchedulerSection
    expiry: ExpirySection
    matching: MatchingSection
    page_cache: PageCacheSection
    accessibility: AccessibilitySection

    @property
    def secret_key(self) -> str:
        return self.core.SECRET_KEY

    def as_config(self) -> dict[str, Any]:
        """The Flask config mapping: top-level keys as they are, each section as a plain dict."""
        config: dict[str, Any] = dataclasses.asdict(self.core)
        for name in SECTIONS:
            config[name] = dataclasses.asdict(getattr(self, name))
        return config
