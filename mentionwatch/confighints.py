"""Did-you-mean for config.yaml's unknown keys, read from the pydantic models themselves.

Nothing here lists keys by hand: a key added to any settings model (or a new source type) is
suggested as soon as it exists.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel


def _dotted_keys(keys: list[Any]) -> str:
    return ".".join(str(k) for k in keys)


def suggest_key(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """"; did you mean `threshold`?" for an unknown key at pydantic's `loc`, or where it belongs."""
    key = str(loc[-1])
    known = _keys_at(root, loc[:-1])
    if known:
        lowered = {k.lower(): k for k in known}
        close = ([lowered[key.lower()]] if key.lower() in lowered
                 else difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6))
        if close:
            return f"; did you mean `{lowered.get(close[0], close[0])}`?"
    homes = [home for home in _homes_of(root, key) if home != _dotted_keys([p for p in loc[:-1] if not isinstance(p, int)])]
    if homes:
        return f"; `{key}` belongs under `{homes[0]}`" if homes[0] else f"; `{key}` belongs at the top level"
    if known:
        return f" (known keys here: {', '.join(sorted(known))})"
    return ""


def _keys_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the models allow at `loc` (a pydantic location, discriminator tags included)."""
    current: Any = root
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    models = [m for m in _members(current) if _is_model(m)]
    return sorted({_key_name(name, field) for m in models for name, field in m.model_fields.items()
                   if not field.exclude})


def _step(annotation: Any, part: Any) -> Any:
    """The annotation one step inside `annotation` along `part` (a key, list index or union tag)."""
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if isinstance(part, int) and origin in (list, tuple, set, frozenset):
            return typing.get_args(member)[0]
        if isinstance(part, str) and origin is dict:
            return typing.get_args(member)[1]
        if isinstance(part, str) and _is_model(member):
            for name, field in member.model_fields.items():
                if part in (name, field.alias):
                    return field.annotation
    if isinstance(part, str):  # a discriminated union's tag: the member whose `type` is `part`
        for member in _members(annotation):
            field = member.model_fields.get("type") if _is_model(member) else None
            if field is not None and part in typing.get_args(field.annotation):
                return member
    return None


def _members(annotation: Any) -> list[Any]:
    """The alternatives of an annotation: Annotated and Optional / Union unwrapped."""
    if typing.get_origin(annotation) is Annotated:
        return _members(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _key_name(name: str, field: Any) -> str:
    return field.alias or name


def _homes_of(root: type[BaseModel], key: str) -> list[str]:
    """Every section (`alerts`, `businesses[].sources[]`; "" for the top) whose model has `key`."""
    homes: list[str] = []
    queue: list[tuple[Any, str]] = [(root, "")]
    visited: set[tuple[Any, str]] = set()
    while queue:
        annotation, path = queue.pop(0)
        for member in _members(annotation):
            origin = typing.get_origin(member)
            if origin in (list, tuple, set, frozenset, dict):
                inner = typing.get_args(member)[-1 if origin is dict else 0]
                suffix = "[]" if origin is not dict else ".*"
                if (inner, path + suffix) not in visited:
                    visited.add((inner, path + suffix))
                    queue.append((inner, path + suffix))
            elif _is_model(member):
                for name, field in member.model_fields.items():
                    if field.exclude:
                        continue
                    if _key_name(name, field) == key and path not in homes:
                        homes.append(path)
                    child = f"{path}.{name}" if path else name
                    if (field.annotation, child) not in visited and len(child) < 80:
                        visited.add((field.annotation, child))
                        queue.append((field.annotation, child))
    return homes

