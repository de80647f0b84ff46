"""config.yaml: the owner's one file, read, expanded and validated once into typed settings.

Each room owns the schema of its own sections (pipeline.config: database, scoring, retention;
crawlers.config: source types, crawler, credentials; alerts.config: slack, alerts, report;
respond.config: web, reply templates) and extends the room below it; `Settings` is the whole
file. This module reads YAML, expands `${VAR}` and `${VAR:-default}` in string values, and turns
validation errors into one readable line each.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from crawlers.config import SOURCE_TYPES
from mentionwatch.confighints import suggest_key
from mentionwatch.yamlfile import Document, read_yaml
from pipeline.config import Strict
from pipeline.dburl import safe_url
from pipeline.errors import ConfigError
from mentionwatch.config_file import CONFIG_ENV, DEFAULT_CONFIG, config_path
from respond.config import RespondConfig

__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG", "Settings", "config_path", "load_settings"]
# Values of these keys are never echoed back in error messages.
SECRET_KEYS = {"token", "webhook_url", "app_token", "signing_secret", "password", "reddit_client_secret",
               "mastodon_token", "bluesky_app_password", "google_client_secret", "google_refresh_token",
               "yelp_api_key", "trustpilot_api_key", "trustpilot_api_secret", "trustpilot_password"}


class WorkerSettings(Strict):
    """`worker:` for `mentionwatch worker` on PostgreSQL (the crawl jobs, the queue's timing)."""

    fanout_seconds: int = Field(default=60, ge=1, le=3600)
    """How often the workers look for sources whose next check has come (and queue them)."""
    heartbeat_seconds: float = Field(default=10, gt=0)
    """How often each worker tells the database it is alive."""
    stalled_after_seconds: float = Field(default=60, gt=0)
    """A worker silent this long is taken for dead: its running jobs go back on the queue."""
    stop_within_seconds: float = Field(default=5, gt=0)
    """On SIGTERM, jobs still running after this long are handed back to the queue."""

    @model_validator(mode="after")
    def _heartbeat_before_stall(self) -> WorkerSettings:
        if self.heartbeat_seconds >= self.stalled_after_seconds:
            raise ValueError("stalled_after_seconds must be longer than heartbeat_seconds, "
                             "or living workers would be taken for dead")
        return self


class Settings(RespondConfig):
    """The whole of config.yaml: every room's sections."""

    worker: WorkerSettings = WorkerSettings()
    files: tuple[Path, ...] = Field(default=(), exclude=True)
    """config.yaml and the files its `include:` matched, as they were read (set by load_settings)."""


# --------------------------------------------------------------------------- loading

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


def expand_env(value: Any, where: str = "", environ: dict[str, str] | None = None,
               leave_unset: bool = False) -> Any:
    """Expand ${VAR} and ${VAR:-default} in every string of a parsed YAML tree.

    Expansion happens after parsing, so a secret's value can never change the file's structure.
    With `leave_unset`, a ${VAR} unset here (and without a default) stays as written rather than
    being an error: `cron` prints lines for an environment that is not this shell's.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {k: expand_env(v, _join(where, k), env, leave_unset) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{i}]", env, leave_unset) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env and (env[name] != "" or default is None):
            return env[name]
        if default is not None:
            return default
        if leave_unset:
            return m.group(0)
        raise ConfigError(
            f"{where or 'config'}: environment variable {name} is not set "
            f"(write ${{{name}:-}} to allow it to be empty)"
        )

    return _VAR.sub(substitute, value)


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def load_settings(path: str | os.PathLike[str] | None = None, leave_unset: bool = False) -> Settings:
    """Read, expand and validate config.yaml; raise ConfigError with a readable message.
    `leave_unset`: a ${VAR} unset in this shell stays as written (expand_env)."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such file (pass --config PATH or set {CONFIG_ENV})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    document = read_yaml(text, str(file))
    raw = document.data
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected a mapping of settings (database, slack, businesses, ...)")
    included = _include(file, raw)
    try:
        data = expand_env(raw, leave_unset=leave_unset)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe_in(e, file, data, document, included) for e in exc.errors())) from None
    return settings.model_copy(update={"path": file.resolve(),
                                       "files": (file.resolve(), *(i.path.resolve() for i in included))})


@dataclass
class IncludedFile:
    """A file of businesses named by `include:`, and where its businesses start in the whole list."""

    path: Path
    document: Document
    start: int
    count: int
    key: tuple[str, ...]
    """Where its list is in the file: () for a bare list, ("businesses",) for a mapping."""


def _include(file: Path, raw: dict[str, Any]) -> list[IncludedFile]:
    """Append the businesses of the files `include:` names (globs relative to config.yaml's folder,
    sorted) to `raw`'s own: an agency keeps one file per client or business."""
    patterns = raw.pop("include", None)
    if patterns is None:
        return []
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"{file}: include: expected a file pattern or a list of them (businesses.d/*.yaml)")
    businesses = raw.setdefault("businesses", [])
    if not isinstance(businesses, list):
        return []  # validation says what is wrong with `businesses:`
    included = []
    for pattern in patterns:
        matched = sorted(file.parent.glob(pattern))
        if not matched:
            raise ConfigError(f"{file}: include: {pattern!r} matches no file in {file.parent}")
        for path in matched:
            try:
                document = read_yaml(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: cannot read: {exc}") from None
            data, key = document.data, ()
            client = None
            if isinstance(data, dict) and set(data) in ({"businesses"}, {"client", "businesses"}):
                client, data, key = data.get("client"), data["businesses"], ("businesses",)
            if not isinstance(data, list):
                raise ConfigError(f"{path}: expected a list of businesses (or `businesses:` and the list, "
                                  "with `client:` above it for one client's file)")
            if client is not None:
                data = _of_client(path, client, data, raw.get("clients"))
            included.append(IncludedFile(path, document, len(businesses), len(data), key))
            businesses.extend(data)
    return included


def _of_client(path: Path, client: Any, businesses: list[Any], clients: Any) -> list[Any]:
    """A client's file (`client: acme` above its `businesses:`): each business belongs to it; one
    naming another client would be in two clients. A name `clients:` lacks is this file's mistake."""
    if not isinstance(client, str) or not client.strip():
        raise ConfigError(f"{path}: client: expected the name of one of the clients: (e.g. `client: acme`)")
    names = [c.get("name") for c in clients if isinstance(c, dict)] if isinstance(clients, list) else []
    if client not in names:
        close = difflib.get_close_matches(client, [str(n) for n in names], n=1)
        known = ", ".join(str(n) for n in names) if names else "none: add it under clients: in config.yaml"
        raise ConfigError(f"{path}: client: {client!r} is not one of clients: ({known})"
                          + (f"; did you mean `{close[0]}`?" if close else ""))
    owned = []
    for business in businesses:
        if isinstance(business, dict):
            named = business.get("client", client)
            if named != client:
                raise ConfigError(f"{path}: business {business.get('name')!r} is in two clients: "
                                  f"{client!r} (the file's) and {named!r} (its own client:)")
            business = {**business, "client": client}
        owned.append(business)
    return owned


def _describe_in(error: Any, file: Path, data: Any, document: Document, included: list[IncludedFile]) -> str:
    """One validation error, named in the file it comes from (config.yaml or an included one)."""
    loc = error["loc"]
    if len(loc) >= 2 and loc[0] == "businesses" and isinstance(loc[1], int):
        for part in included:
            if part.start <= loc[1] < part.start + part.count:
                local = _without_tags([*part.key, loc[1] - part.start, *loc[2:]])
                line = part.document.line_of(tuple(local))
                return f"{part.path}: " + _explain_error(error, local) + (f" (line {line})" if line else "")
    return f"{file}: " + _describe(error, data, document)


def _without_tags(loc: list[Any]) -> list[Any]:
    """Pydantic puts a source's type into the location (…sources.0.feed.url): drop it there only,
    not where a key is named like a source type (streams.bluesky.jetstream)."""
    return [p for i, p in enumerate(loc) if not (p in SOURCE_TYPES and i > 0 and isinstance(loc[i - 1], int))]


def _describe(error: Any, data: Any, document: Document | None = None) -> str:
    """One validation error as `key.path: got VALUE: what is expected (line N)`."""
    loc = _without_tags(list(error["loc"]))
    line = document.line_of(tuple(loc)) if document is not None else None
    return _explain_error(error, loc) + (f" (line {line})" if line else "")


def _explain_error(error: Any, loc: list[Any]) -> str:
    where = _dotted(loc)
    message = error["msg"].removeprefix("Value error, ")
    if not loc and error["type"] == "value_error":
        return message  # a check across sections (clients and businesses) says where itself
    if error["type"] == "missing":
        return f"{where}: missing (required)"
    if error["type"] == "extra_forbidden":
        return f"unknown key `{where}`{suggest_key(Settings, error['loc'])}"
    if error["type"] == "union_tag_invalid":
        got = error.get("input", {}).get("type") if isinstance(error.get("input"), dict) else None
        close = difflib.get_close_matches(str(got), SOURCE_TYPES, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return f"{where}.type: got {got!r}: expected one of {', '.join(SOURCE_TYPES)}{hint}"
    if error["type"] == "union_tag_not_found":
        return f"{where}.type: missing: expected one of {', '.join(SOURCE_TYPES)}"
    value = error.get("input")
    if loc == ["database"] and isinstance(value, str):
        value = safe_url(value)  # its password reads *** wherever the URL is shown
    hidden = isinstance(value, (dict, list)) or (loc and str(loc[-1]) in SECRET_KEYS)
    shown = "" if hidden else f"got {value!r}: "
    if error["type"] in ("model_type", "dict_type") and isinstance(value, str) and " " in value.strip():
        # `slack:\n  channel "#reviews"` parses as one string: the colon was forgotten.
        message += " (is a colon missing after a key? write `key: value`)"
    return f"{where or 'config'}: {shown}{message}"


def _dotted(loc: list[Any]) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where
