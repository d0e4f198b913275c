"""Request validation driven by botocore's service models: the constraints AWS itself enforces.

botocore checks only required members, types and minimum lengths on the client side; the services
enforce the rest (patterns, maxima, ranges, list and map sizes, enums, unions). `Validator` walks an
operation's input shape over the parsed request parameters and reports every violation, with the
member path in AWS's style (`filesystemConfigurations.1.member.sessionStorage`).

Model patterns are Java regular expressions, matched against the whole value (Java's `matches()`,
here `re.fullmatch`). Two differences with Python's `re` are translated:
- `\\p{L}`, `\\p{Z}`, `\\p{N}`, `\\p{C}`, ... (Unicode general categories) become explicit ranges;
- `\\w`, `\\d`, `\\s` are ASCII-only in Java: patterns are compiled with `re.ASCII`.
A pattern that still fails to compile is skipped (not enforced) and listed by `Validator.uncompiled`.

Nothing here imports moto: it needs botocore only.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

FAMILIES = ("required", "pattern", "length", "range", "enum", "list_size", "map_size", "union")
NUMERIC = ("integer", "long", "float", "double")


class Untranslatable(ValueError):
    """A Java pattern construct with no Python translation."""


# ---- Java pattern translation -------------------------------------------------------------

_category_lock = threading.Lock()
_category_ranges: dict[str, list[tuple[int, int]]] | None = None


def _all_category_ranges() -> dict[str, list[tuple[int, int]]]:
    """Code point ranges of every two-letter Unicode general category (one pass, cached)."""
    global _category_ranges
    with _category_lock:
        if _category_ranges is None:
            ranges: dict[str, list[tuple[int, int]]] = {}
            start, current = 0, unicodedata.category("\0")
            for cp in range(1, sys.maxunicode + 2):
                cat = unicodedata.category(chr(cp)) if cp <= sys.maxunicode else None
                if cat != current:
                    ranges.setdefault(current, []).append((start, cp - 1))
                    start, current = cp, cat
            _category_ranges = ranges
        return _category_ranges


@lru_cache(maxsize=None)
def category_class(name: str) -> str:
    """The body of a character class (no brackets) matching Unicode category `name` (`L`, `Lu`, ...)."""
    table = _all_category_ranges()
    if len(name) == 1:
        spans = sorted(span for cat, items in table.items() if cat.startswith(name) for span in items)
    elif len(name) == 2 and name in table:
        spans = table[name]
    else:
        spans = []
    if not spans:
        raise Untranslatable(f"unknown Unicode category \\p{{{name}}}")
    merged: list[list[int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return "".join(f"\\U{lo:08X}" if lo == hi else f"\\U{lo:08X}-\\U{hi:08X}" for lo, hi in merged)


def translate_pattern(pattern: str) -> tuple[str, bool]:
    """(Python pattern, whether anything was translated) for a Java pattern."""
    out: list[str] = []
    changed = False
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP":
                if i + 2 < len(pattern) and pattern[i + 2] == "{":
                    end = pattern.find("}", i + 3)
                    if end < 0:
                        raise Untranslatable("unterminated \\p{...}")
                    name = pattern[i + 3:end]
                    i = end + 1
                elif i + 2 < len(pattern):
                    name = pattern[i + 2]
                    i += 3
                else:
                    raise Untranslatable("dangling \\p")
                body = category_class(name.removeprefix("Is"))
                negated = nxt == "P"
                if in_class:
                    if negated:
                        raise Untranslatable("\\P{...} inside a character class")
                    out.append(body)
                else:
                    out.append(f"[{'^' if negated else ''}{body}]")
                changed = True
                continue
            if nxt in "zZ" and not in_class:  # Java \z = Python \Z (end of input)
                out.append("\\Z")
                changed = changed or nxt == "z"
                i += 2
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if char == "[" or pattern.startswith("&&", i):
                raise Untranslatable("nested character class or class intersection")
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            out.append(char)
            i += 1
            # a ']' first in the class (after an optional '^') is a literal in both dialects
            if i < len(pattern) and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < len(pattern) and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out), changed


def compile_pattern(pattern: str) -> re.Pattern[str]:
    translated, _ = translate_pattern(pattern)
    return re.compile(translated, re.ASCII)


# ---- violations ---------------------------------------------------------------------------

@dataclass
class Violation:
    path: str                # AWS style: `a.b`, `list.1.member`, `map.key`
    member_names: tuple[str, ...]  # the path's member names, for protocols that spell paths differently
    value: Any
    constraint: str          # "Member must ...", AWS's wording
    family: str              # one of FAMILIES
    sensitive: bool = False
    location: str | None = None  # the top-level member's HTTP location (uri, querystring, header...)
    wire_name: str | None = None  # ... and its name there (`max-buckets`, `x-amz-server-side-encryption`)

    def shown_value(self) -> str | None:
        """The value as AWS prints it (Java toString in quotes), or None to leave it out."""
        value = self.value
        if self.sensitive or value is None and self.family != "required":
            return None
        if value is None:
            return "null"
        if isinstance(value, bool):
            return f"'{str(value).lower()}'"
        if isinstance(value, (str, int, float)):
            return f"'{value}'"
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            return "'[" + ", ".join(str(v) for v in value) + "]'"
        return None

    def sentence(self, path: str | None = None) -> str:
        shown = self.shown_value()
        where = path if path is not None else self.path
        if shown == "null":
            return f"Value null at '{where}' failed to satisfy constraint: {self.constraint}"
        if shown is None:
            return f"Value at '{where}' failed to satisfy constraint: {self.constraint}"
        return f"Value {shown} at '{where}' failed to satisfy constraint: {self.constraint}"


def coral_message(violations: list[Violation], lower_first: bool = False) -> str:
    """`N validation error(s) detected: Value '...' at 'path' failed to satisfy constraint: ...; ...`."""
    sentences = [v.sentence(aws_path(v, lower_first) if lower_first else None) for v in violations]
    count = len(violations)
    return f"{count} validation error{'s' if count != 1 else ''} detected: " + "; ".join(sentences)


def aws_path(violation: Violation, lower_first: bool) -> str:
    if not lower_first:
        return violation.path
    return ".".join(part[:1].lower() + part[1:] if part else part for part in violation.path.split("."))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _length_sentences(shape: Any, size: int) -> list[str]:
    meta = shape.metadata
    out = []
    if "min" in meta and size < meta["min"]:
        out.append(f"Member must have length greater than or equal to {meta['min']}")
    if "max" in meta and size > meta["max"]:
        out.append(f"Member must have length less than or equal to {meta['max']}")
    return out


class Validator:
    """Validates parsed request parameters against one botocore service model."""

    def __init__(self, service_model: Any):
        self.model = service_model
        self.service = service_model.service_name
        self._patterns: dict[str, re.Pattern[str] | None] = {}
        self.uncompiled: dict[str, tuple[str, str]] = {}   # shape name -> (pattern, error)
        self.translated: dict[str, tuple[str, str]] = {}   # shape name -> (java, python)
        self._lock = threading.Lock()

    # patterns are compiled on first use (the Unicode tables cost a fraction of a second)
    def pattern(self, shape: Any) -> re.Pattern[str] | None:
        name = shape.name
        with self._lock:
            if name in self._patterns:
                return self._patterns[name]
            java = shape.metadata["pattern"]
            try:
                python, changed = translate_pattern(java)
                compiled: re.Pattern[str] | None = re.compile(python, re.ASCII)
                if changed:
                    self.translated[name] = (java, python if len(python) < 200 else python[:200] + "...")
            except (Untranslatable, re.error) as exc:
                compiled = None
                self.uncompiled[name] = (java, str(exc))
            self._patterns[name] = compiled
            return compiled

    def validate(self, operation: str, params: Mapping[str, Any] | None) -> list[Violation]:
        try:
            op = self.model.operation_model(operation)
        except Exception:
            return []
        shape = op.input_shape
        if shape is None:
            return []
        out: list[Violation] = []
        self._structure(shape, params or {}, "", (), out, top=True)
        return out

    # ---- walk ----------------------------------------------------------------------------
    def _structure(self, shape: Any, value: Any, path: str, names: tuple[str, ...], out: list[Violation],
                   top: bool = False) -> None:
        if not isinstance(value, Mapping) or shape.is_document_type:
            return
        members = shape.members
        if shape.metadata.get("union"):
            set_members = [n for n in members if value.get(n) is not None]
            if len(set_members) != 1:
                out.append(Violation(
                    path, names, None,
                    f"Member must have exactly one of [{', '.join(members)}] set, found "
                    f"{len(set_members)}{(': ' + ', '.join(set_members)) if set_members else ''}",
                    "union"))
        for name in shape.required_members:
            if value.get(name) is None:
                location = members[name].serialization.get("location") if top else None
                out.append(Violation(_join(path, name), names + (name,), None, "Member must not be null",
                                     "required", location=location,
                                     wire_name=members[name].serialization.get("name") if location else None))
        for name, member in members.items():
            item = value.get(name)
            if item is None:
                continue
            location = member.serialization.get("location") if top else None
            before = len(out)
            self._value(member, item, _join(path, name), names + (name,), out)
            if location:
                for violation in out[before:]:
                    violation.location = location
                    violation.wire_name = member.serialization.get("name", name)

    def _value(self, shape: Any, value: Any, path: str, names: tuple[str, ...], out: list[Violation]) -> None:
        kind = shape.type_name
        sensitive = bool(shape.metadata.get("sensitive"))
        if kind == "structure":
            self._structure(shape, value, path, names, out)
        elif kind == "list":
            if not isinstance(value, list):
                return
            for sentence in _length_sentences(shape, len(value)):
                out.append(Violation(path, names, value, sentence, "list_size", sensitive))
            for index, item in enumerate(value, 1):
                if item is not None:
                    self._value(shape.member, item, f"{path}.{index}.member", names, out)
        elif kind == "map":
            if not isinstance(value, Mapping):
                return
            for sentence in _length_sentences(shape, len(value)):
                out.append(Violation(path, names, None, sentence, "map_size", sensitive))
            for key, item in value.items():
                key_problems: list[Violation] = []
                self._value(shape.key, key, path, names, key_problems)
                if key_problems:
                    out.append(Violation(
                        path, names, None,
                        "Map keys must satisfy constraint: [" + ", ".join(p.constraint for p in key_problems) + "]",
                        key_problems[0].family, sensitive))
                if item is None:
                    continue
                if shape.value.type_name in ("structure", "list", "map"):
                    self._value(shape.value, item, f"{path}.{key}", names, out)
                    continue
                value_problems: list[Violation] = []
                self._value(shape.value, item, path, names, value_problems)
                if value_problems:
                    out.append(Violation(
                        path, names, None,
                        "Map value must satisfy constraint: [" + ", ".join(p.constraint for p in value_problems)
                        + "]", value_problems[0].family, sensitive))
        elif kind == "string":
            if not isinstance(value, str):
                return
            enum = shape.metadata.get("enum")
            if enum and value not in enum:
                out.append(Violation(path, names, value, f"Member must satisfy enum value set: [{', '.join(enum)}]",
                                     "enum", sensitive))
            for sentence in _length_sentences(shape, len(value)):
                out.append(Violation(path, names, value, sentence, "length", sensitive))
            if "pattern" in shape.metadata:
                compiled = self.pattern(shape)
                if compiled is not None and compiled.fullmatch(value) is None:
                    out.append(Violation(
                        path, names, value,
                        f"Member must satisfy regular expression pattern: {shape.metadata['pattern']}",
                        "pattern", sensitive))
        elif kind == "blob":
            if isinstance(value, (bytes, bytearray, str)):
                size = len(value.encode() if isinstance(value, str) else value)
                for sentence in _length_sentences(shape, size):
                    out.append(Violation(path, names, None, sentence, "length", sensitive))
        elif kind in NUMERIC:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return
            meta = shape.metadata
            if "min" in meta and value < meta["min"]:
                out.append(Violation(path, names, value, f"Member must have value greater than or equal to "
                                                          f"{meta['min']}", "range", sensitive))
            if "max" in meta and value > meta["max"]:
                out.append(Violation(path, names, value, f"Member must have value less than or equal to "
                                                          f"{meta['max']}", "range", sensitive))

    # ---- what is enforced ----------------------------------------------------------------
    def constraints(self, operations: list[str] | None = None) -> Counter[str]:
        """How many constraints reachable from the operations' inputs (default: all) are enforced,
        per family. Each shape's constraint counts once however many operations reach it; a
        pattern that cannot be compiled is not counted."""
        counts: Counter[str] = Counter()
        seen: set[str] = set()
        names = operations if operations is not None else list(self.model.operation_names)
        stack = []
        for name in names:
            shape = self.model.operation_model(name).input_shape
            if shape is not None:
                stack.append(shape)
        while stack:
            shape = stack.pop()
            if shape.name in seen:
                continue
            seen.add(shape.name)
            meta = shape.metadata
            kind = shape.type_name
            if kind == "structure":
                counts["required"] += len(shape.required_members)
                if meta.get("union"):
                    counts["union"] += 1
                stack.extend(shape.members.values())
            elif kind == "list":
                counts["list_size"] += ("min" in meta) + ("max" in meta)
                stack.append(shape.member)
            elif kind == "map":
                counts["map_size"] += ("min" in meta) + ("max" in meta)
                stack.extend([shape.key, shape.value])
            elif kind == "string":
                counts["enum"] += bool(meta.get("enum"))
                counts["length"] += ("min" in meta) + ("max" in meta)
                if "pattern" in meta and self.pattern(shape) is not None:
                    counts["pattern"] += 1
            elif kind == "blob":
                counts["length"] += ("min" in meta) + ("max" in meta)
            elif kind in NUMERIC:
                counts["range"] += ("min" in meta) + ("max" in meta)
        return counts


_validators: dict[str, Validator] = {}
_validators_lock = threading.Lock()


def validator(service: str) -> Validator:
    """The (cached) validator of a botocore service name."""
    with _validators_lock:
        if service not in _validators:
            import botocore.session

            _validators[service] = Validator(botocore.session.get_session().get_service_model(service))
        return _validators[service]


