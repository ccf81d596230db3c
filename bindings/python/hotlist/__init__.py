# SPDX-License-Identifier: MIT
"""Python binding of libhotlist (ctypes, no other dependency).

    import hotlist
    with hotlist.Engine() as eng:
        eng.load_csv("national", "national.csv")
        for hit in eng.match("gz-123-b", country="NL", camera="A12-west"):
            print(hit.list, hit.plate, hit.category, hit.match)

The shared library is found through $HOTLIST_LIBRARY (a path), else as
"libhotlist.so.0" on the loader's search path.

Callbacks: the C library calls back for each hit while it holds the list
version the match reads. The callback given to C here copies every field of
the hit into Python objects (bytes decoded, numbers converted) and appends
them to a list; nothing keeps a C pointer past the callback, and no user
code runs inside it. The hits are returned once the C call has returned.
An exception raised while copying (MemoryError) is re-raised after the call.

Threads: an Engine may be used from several Python threads (the C library's
matching is wait-free and its writers serialise themselves); ctypes releases
the GIL during each C call. close() (hotlist_destroy) must not overlap any
other call on the same engine: stop the other threads first. The asynchronous path (hotlist_submit, worker
threads calling back) is not exposed: engines are created with no workers.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int64,
    c_size_t,
    c_uint,
    c_uint64,
    c_void_p,
)
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Union

__all__ = [
    "Engine",
    "Entry",
    "Read",
    "Hit",
    "LoadReport",
    "RowError",
    "ListInfo",
    "Stats",
    "Latency",
    "HotlistError",
    "normalise_plate",
    "normalise_country",
    "version",
]

PLATE_MAX = 16
NAME_MAX = 63
REPORT_ERRORS = 16
MATCH_KINDS = {0: "exact", 1: "ocr", 2: "indel", 3: "wildcard"}

# ---- C structures (include/hotlist.h; tests/release/layout.c checks them) ----


class _Read(Structure):
    _fields_ = [
        ("plate", c_char_p),
        ("country", c_char_p),
        ("camera", c_char_p),
        ("ts_us", c_int64),
        ("opaque", c_void_p),
        ("candidates", POINTER(c_char_p)),
        ("n_candidates", c_uint),
        ("struct_size", c_uint),
        # operator fields (issue 13)
        ("uuid", c_char_p),
        ("site", c_char_p),
        ("confidence", c_double),
    ]


class _Entry(Structure):
    _fields_ = [
        ("plate", c_char_p),
        ("country", c_char_p),
        ("category", c_char_p),
        ("reference", c_char_p),
        ("priority", c_uint),
        ("struct_size", c_uint),
        ("valid_from_us", c_int64),
        ("expires_us", c_int64),
        ("covert", c_bool),
        # operator fields (issue 13)
        ("id", c_char_p),
        ("attrs", c_void_p),
        ("n_attrs", c_uint),
    ]


class _Hit(Structure):
    _fields_ = [
        ("read", POINTER(_Read)),
        ("read_plate", c_char_p),
        ("read_country", c_char * 3),
        ("list", c_char_p),
        ("list_version", c_uint64),
        ("plate", c_char_p),
        ("entry_plate", c_char_p),
        ("country", c_char * 3),
        ("category", c_char_p),
        ("reference", c_char_p),
        ("priority", c_uint),
        ("covert", c_bool),
        ("valid_from_us", c_int64),
        ("expires_us", c_int64),
        ("match", c_int),
        ("substitutions", c_uint),
        ("indels", c_uint),
        ("candidate", c_uint),
        ("repaired", c_bool),
        ("format", c_int),
        ("score", c_uint),
        ("weak", c_bool),
        # operator fields (issue 13)
        ("entry_id", c_char_p),
        ("hit_id", c_char_p),
        ("attrs", c_void_p),
        ("n_attrs", c_uint),
        # retroactive hits (cfg.retro_window_us)
        ("retro", c_bool),
        # second reads (cfg.second_read_window_us)
        ("second_read", c_bool),
    ]


_HitFn = ctypes.CFUNCTYPE(None, POINTER(_Hit), c_void_p)


class _Config(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("workers", c_uint),
        ("queue_capacity", c_size_t),
        ("backpressure", c_int),
        ("on_hit", c_void_p),
        ("on_hit_user", c_void_p),
        ("suppress_window_us", c_int64),
        ("max_bad_fraction", c_double),
        ("allocator", c_void_p),
        ("latency_histogram", c_bool),
        ("shrink_guard", c_double),
        # operator fields (issue 13)
        ("on_audit", c_void_p),
        ("on_audit_user", c_void_p),
        # retroactive hits (issue 13, item 4): 0 = off
        ("retro_window_us", c_int64),
        ("retro_max_reads", c_size_t),
        # second reads (issue 11): 0 = off
        ("second_read_window_us", c_int64),
        ("second_read_any_camera", c_bool),
        ("second_read_max", c_size_t),
        # threads of a big replace or load: 0 = automatic, 1 = caller only
        ("build_threads", c_uint),
    ]


class _RowError(Structure):
    _fields_ = [("line", c_uint64), ("code", c_int), ("reason", c_char * 96)]


class _LoadReport(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("rows", c_uint64),
        ("loaded", c_uint64),
        ("rejected", c_uint64),
        ("duplicates", c_uint64),
        ("list_version", c_uint64),
        ("duration_us", c_int64),
        ("n_errors", c_uint),
        ("errors", _RowError * REPORT_ERRORS),
        ("innocent_hits_per_1000", c_double),
        ("innocent_alerts_per_1000", c_double),
        ("alert_rate_warning", c_bool),
        ("expired", c_uint64),
        ("not_yet_valid", c_uint64),
        ("live_entries", c_uint64),
    ]


class _ListOptions(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("ocr_substitutions", c_uint),
        ("indels", c_uint),
        ("ocr_classes", c_char_p),
        ("cross_border", c_bool),
        ("repair", c_bool),
        ("min_score", c_uint),
        ("weak_hits", c_bool),
        ("target_alerts_per_1000", c_double),
        # operator fields (issue 13)
        ("cameras", c_char_p),
        ("days", c_char_p),
        ("hours", c_char_p),
        ("timezone", c_char_p),
    ]


class _ListInfo(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("name", c_char * (NAME_MAX + 1)),
        ("version", c_uint64),
        ("entries", c_uint64),
        ("pending_edits", c_uint64),
        ("index_bytes", c_size_t),
        ("memory_bytes", c_size_t),
        ("updated_us", c_int64),
        ("innocent_hits_per_1000", c_double),
        ("innocent_alerts_per_1000", c_double),
        ("mode_alerts_per_1000", (c_double * 3) * 3),
        ("min_score", c_uint),
        ("alert_rate_warning", c_bool),
    ]


class _Latency(Structure):
    _fields_ = [
        ("count", c_uint64),
        ("p50_ns", c_uint64),
        ("p90_ns", c_uint64),
        ("p99_ns", c_uint64),
        ("p999_ns", c_uint64),
        ("p9999_ns", c_uint64),
        ("max_ns", c_uint64),
    ]


class _Stats(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("reads", c_uint64),
        ("bad_reads", c_uint64),
        ("hits", c_uint64),
        ("hits_exact", c_uint64),
        ("suppressed", c_uint64),
        ("not_valid", c_uint64),
        ("submitted", c_uint64),
        ("refused", c_uint64),
        ("pending", c_uint64),
        ("reloads", c_uint64),
        ("reload_failures", c_uint64),
        ("edits", c_uint64),
        ("reload_last_us", c_int64),
        ("reload_max_us", c_int64),
        ("reload_total_us", c_int64),
        ("lists", c_uint64),
        ("entries", c_uint64),
        ("index_bytes", c_size_t),
        ("memory_bytes", c_size_t),
        ("inline_latency", _Latency),
        ("async_latency", _Latency),
        ("fuzzy_weak_suppressed", c_uint64),
        ("fuzzy_weak", c_uint64),
        ("retired_versions", c_uint64),
        ("retired_heavy", c_uint64),
        ("retired_heavy_max", c_uint64),
        ("reclaim_waits", c_uint64),
        ("retro_kept", c_uint64),
        ("retro_hits", c_uint64),
        ("fuzzy_second_read", c_uint64),
        ("recycled_bytes", c_uint64),
        ("recycled_blocks", c_uint64),
    ]


# ---- loading the library -------------------------------------------------------


def _load() -> ctypes.CDLL:
    path = os.environ.get("HOTLIST_LIBRARY") or "libhotlist.so.0"
    lib = ctypes.CDLL(path)
    P = POINTER
    protos = {
        "hotlist_version_string": (c_char_p, []),
        "hotlist_strerror": (c_char_p, [c_int]),
        "hotlist_err_name": (c_char_p, [c_int]),
        "hotlist_config_init_size": (None, [P(_Config), c_size_t]),
        "hotlist_create": (c_int, [P(c_void_p), P(_Config)]),
        "hotlist_destroy": (None, [c_void_p, P(c_uint64)]),
        "hotlist_replace": (c_int, [c_void_p, c_char_p, P(_Entry), c_size_t, P(_LoadReport)]),
        "hotlist_load_csv": (c_int, [c_void_p, c_char_p, c_char_p, P(_LoadReport)]),
        "hotlist_put": (c_int, [c_void_p, c_char_p, P(_Entry)]),
        "hotlist_remove": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p]),
        "hotlist_drop_list": (c_int, [c_void_p, c_char_p]),
        "hotlist_list_options_init_size": (None, [P(_ListOptions), c_size_t]),
        "hotlist_set_list_options": (c_int, [c_void_p, c_char_p, P(_ListOptions)]),
        "hotlist_list_info": (c_int, [c_void_p, c_size_t, P(_ListInfo)]),
        "hotlist_match": (c_int, [c_void_p, P(_Read), _HitFn, c_void_p]),
        "hotlist_match_batch": (c_int, [c_void_p, P(_Read), c_size_t, _HitFn, c_void_p]),
        "hotlist_stats": (c_int, [c_void_p, P(_Stats)]),
        "hotlist_normalise_plate": (c_int, [c_char_p, c_char_p]),
        "hotlist_normalise_country": (c_int, [c_char_p, c_char_p]),
    }
    for name, (res, args) in protos.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


_lib = _load()

# ---- errors --------------------------------------------------------------------


class HotlistError(Exception):
    """A negative HOTLIST_E* code. code: the number; name: "HOTLIST_EPLATE";
    message: hotlist_strerror(); report: the LoadReport of a failed load."""

    def __init__(self, code: int, what: str = "", report: "Optional[LoadReport]" = None):
        self.code = code
        self.name = _lib.hotlist_err_name(code).decode()
        self.message = _lib.hotlist_strerror(code).decode()
        self.report = report
        prefix = f"{what}: " if what else ""
        super().__init__(f"{prefix}{self.message} ({self.name})")


def _check(rc: int, what: str = "", report: "Optional[LoadReport]" = None) -> int:
    if rc < 0:
        raise HotlistError(rc, what, report)
    return rc


def _b(s: Optional[Union[str, bytes]]) -> Optional[bytes]:
    if s is None or isinstance(s, bytes):
        return s
    return s.encode("utf-8")


def _s(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


# ---- Python-side objects -------------------------------------------------------


@dataclass
class Entry:
    """A hot-list entry. Times are microseconds since 1970 (0 = none)."""

    plate: str
    country: Optional[str] = None
    category: Optional[str] = None
    reference: Optional[str] = None
    priority: int = 50
    valid_from_us: int = 0
    expires_us: int = 0
    covert: bool = False

    def _fill(self, e: _Entry) -> None:
        e.struct_size = ctypes.sizeof(_Entry)
        e.plate = _b(self.plate)
        e.country = _b(self.country)
        e.category = _b(self.category)
        e.reference = _b(self.reference)
        e.priority = self.priority
        e.valid_from_us = self.valid_from_us
        e.expires_us = self.expires_us
        e.covert = self.covert


@dataclass
class Read:
    """A read as a camera reports it; ts_us 0 = now."""

    plate: str
    country: Optional[str] = None
    camera: Optional[str] = None
    ts_us: int = 0
    candidates: Sequence[str] = ()


@dataclass
class Hit:
    """One hit, copied out of the callback. read_index: position of the read
    in the batch (0 for match()); format: True/False, or None if unknown."""

    read_index: int
    camera: Optional[str]
    read: str
    read_plate: str
    read_country: str
    list: str
    list_version: int
    plate: str
    entry_plate: str
    country: str
    category: str
    reference: str
    priority: int
    covert: bool
    valid_from_us: int
    expires_us: int
    match: str
    substitutions: int
    indels: int
    candidate: int
    repaired: bool
    format: Optional[bool]
    score: int = 100  # 0..100, docs/fuzzy.md "Score and alert policy"
    weak: bool = False  # below the list's threshold (lists with weak_hits)
    ts_us: int = 0  # the read's capture time
    retro: bool = False  # a retroactive hit (Engine(retro_window_s=...))
    second_read: bool = False  # alert by a second read (Engine(second_read_window_s=...))


@dataclass
class RowError:
    line: int
    code: int
    reason: str


@dataclass
class LoadReport:
    rows: int
    loaded: int
    rejected: int
    duplicates: int
    list_version: int
    duration_us: int
    errors: List[RowError] = field(default_factory=list)
    expired: int = 0  # good entries already expired at the load: they never hit
    not_yet_valid: int = 0  # good entries whose valid_from is still to come


@dataclass
class ListInfo:
    name: str
    version: int
    entries: int
    pending_edits: int
    index_bytes: int
    memory_bytes: int
    updated_us: int
    # estimated innocent reads per 1,000 with a fuzzy hit / alerting; -1: none
    innocent_hits_per_1000: float = -1.0
    innocent_alerts_per_1000: float = -1.0
    min_score: int = 0  # the alert threshold in force (0: policy off)
    alert_rate_warning: bool = False


@dataclass
class Latency:
    count: int
    p50_ns: int
    p90_ns: int
    p99_ns: int
    p999_ns: int
    p9999_ns: int
    max_ns: int


@dataclass
class Stats:
    reads: int
    bad_reads: int
    hits: int
    hits_exact: int
    suppressed: int
    not_valid: int
    submitted: int
    refused: int
    pending: int
    reloads: int
    reload_failures: int
    edits: int
    reload_last_us: int
    reload_max_us: int
    reload_total_us: int
    lists: int
    entries: int
    index_bytes: int
    memory_bytes: int
    inline_latency: Latency
    async_latency: Latency
    fuzzy_weak_suppressed: int = 0  # weak fuzzy hits not called back
    fuzzy_weak: int = 0  # weak fuzzy hits called back flagged
    retired_versions: int = 0  # replaced list versions waiting for a grace period
    retired_heavy: int = 0  # of those, holding list contents of their own (bounded)
    retired_heavy_max: int = 0  # the most of those ever waiting at once
    reclaim_waits: int = 0  # writer calls that waited because of the bound
    retro_kept: int = 0  # reads kept for retroactive hits
    retro_hits: int = 0  # retroactive hits called back (in hits too)
    fuzzy_second_read: int = 0  # weak hits alerted by a second read (in hits too)
    recycled_bytes: int = 0  # freed big blocks held for the next list build
    recycled_blocks: int = 0  # such blocks handed out again so far


def _report(r: _LoadReport) -> LoadReport:
    errs = [
        RowError(e.line, e.code, _s(e.reason) or "")
        for e in r.errors[: min(r.n_errors, REPORT_ERRORS)]
    ]
    return LoadReport(
        r.rows,
        r.loaded,
        r.rejected,
        r.duplicates,
        r.list_version,
        r.duration_us,
        errs,
        r.expired,
        r.not_yet_valid,
    )


def _copy_hit(h: _Hit) -> Hit:
    """Everything out of the C hit while it is valid; no pointer kept."""
    rd = h.read.contents
    fmt = None if h.format < 0 else bool(h.format)
    return Hit(
        read_index=(rd.opaque or 1) - 1,
        camera=_s(rd.camera),
        read=_s(rd.plate) or "",
        read_plate=_s(h.read_plate) or "",
        read_country=_s(h.read_country) or "",
        list=_s(h.list) or "",
        list_version=h.list_version,
        plate=_s(h.plate) or "",
        entry_plate=_s(h.entry_plate) or "",
        country=_s(h.country) or "",
        category=_s(h.category) or "",
        reference=_s(h.reference) or "",
        priority=h.priority,
        covert=bool(h.covert),
        valid_from_us=h.valid_from_us,
        expires_us=h.expires_us,
        match=MATCH_KINDS.get(h.match, str(h.match)),
        substitutions=h.substitutions,
        indels=h.indels,
        candidate=h.candidate,
        repaired=bool(h.repaired),
        format=fmt,
        score=h.score,
        weak=bool(h.weak),
        ts_us=rd.ts_us,
        retro=bool(h.retro),
        second_read=bool(h.second_read),
    )


class _Collector:
    """The C callback of one match call: copies hits, keeps no pointer."""

    def __init__(self) -> None:
        self.hits: List[Hit] = []
        self.error: Optional[BaseException] = None
        self.fn = _HitFn(self._on_hit)

    def _on_hit(self, hit, user) -> None:
        try:
            self.hits.append(_copy_hit(hit.contents))
        except BaseException as e:  # noqa: BLE001 - must not unwind into C
            if self.error is None:
                self.error = e

    def result(self) -> List[Hit]:
        if self.error is not None:
            raise self.error
        return self.hits


def _c_reads(reads: Sequence[Read]):
    """A C array of reads and the Python objects its pointers point into."""
    arr = (_Read * max(len(reads), 1))()
    keep = []
    for i, r in enumerate(reads):
        c = arr[i]
        c.struct_size = ctypes.sizeof(_Read)
        c.plate = _b(r.plate)
        c.country = _b(r.country)
        c.camera = _b(r.camera)
        c.ts_us = r.ts_us
        c.opaque = i + 1  # read_index + 1: NULL stays "no opaque"
        if r.candidates:
            cands = (c_char_p * len(r.candidates))(*[_b(x) for x in r.candidates])
            keep.append(cands)
            c.candidates = ctypes.cast(cands, POINTER(c_char_p))
            c.n_candidates = len(r.candidates)
    return arr, keep


# ---- the engine ----------------------------------------------------------------


class Engine:
    """A hotlist engine (hotlist_create). Close it with close() or a with block.

    suppress_window_s: repeat hits of an entry by one camera within this
    many seconds are counted, not returned (0 = off, the default here; the C
    default is 300). max_bad_fraction: share of bad rows that refuses a load.
    retro_window_s: keep the reads captured in the last this many seconds
    (at most retro_max_reads of them, 0 = the C default) in memory, and when
    load_csv, replace or put adds entries, call on_retro(hit) for each kept
    read that hits one (hit.retro is True, hit.ts_us the read's time), on
    the writer's thread before the call returns; an exception raised by
    on_retro is raised by that call. 0 = off (the default): nothing kept.
    second_read_window_s: keep each weak fuzzy hit (a keyed hash of the
    read's text, not the text) this many seconds of read time; a weak hit
    of the same entry by another text from the same camera (any camera with
    second_read_any_camera) within it is scored with it and returned as an
    alert with hit.second_read True if the pair reaches the list's
    threshold (docs/fuzzy.md, "Second read"). 0 = off (the default).
    """

    def __init__(
        self,
        suppress_window_s: float = 0,
        max_bad_fraction: Optional[float] = None,
        latency_histogram: bool = True,
        retro_window_s: float = 0,
        retro_max_reads: int = 0,
        on_retro: Optional[Callable[[Hit], None]] = None,
        second_read_window_s: float = 0,
        second_read_any_camera: bool = False,
        second_read_max: int = 0,
    ) -> None:
        cfg = _Config()
        _lib.hotlist_config_init_size(ctypes.byref(cfg), ctypes.sizeof(_Config))
        cfg.workers = 0
        cfg.suppress_window_us = int(suppress_window_s * 1_000_000)
        if max_bad_fraction is not None:
            cfg.max_bad_fraction = max_bad_fraction
        cfg.latency_histogram = latency_histogram
        cfg.second_read_window_us = int(second_read_window_s * 1_000_000)
        cfg.second_read_any_camera = second_read_any_camera
        cfg.second_read_max = second_read_max
        self._retro_fn = None
        self._retro_error: Optional[BaseException] = None
        if retro_window_s:
            if on_retro is None:
                raise ValueError("retro_window_s needs on_retro")
            cfg.retro_window_us = int(retro_window_s * 1_000_000)
            if retro_max_reads:
                cfg.retro_max_reads = retro_max_reads
            self._retro_fn = _HitFn(self._retro_callback(on_retro))
            cfg.on_hit = ctypes.cast(self._retro_fn, c_void_p)
        h = c_void_p()
        _check(_lib.hotlist_create(ctypes.byref(h), ctypes.byref(cfg)), "hotlist_create")
        self._h: Optional[c_void_p] = h

    # -- lifetime
    def close(self) -> None:
        """Destroy the engine (waits for one RCU grace period). Idempotent."""
        if self._h is not None:
            _lib.hotlist_destroy(self._h, None)
            self._h = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _handle(self) -> c_void_p:
        if self._h is None:
            raise ValueError("engine is closed")
        return self._h

    def _retro_callback(self, on_retro: Callable[[Hit], None]):
        def cb(hit, user) -> None:
            try:
                on_retro(_copy_hit(hit.contents))
            except BaseException as e:  # noqa: BLE001 - must not unwind into C
                if self._retro_error is None:
                    self._retro_error = e

        return cb

    def _raise_retro(self) -> None:
        e, self._retro_error = self._retro_error, None
        if e is not None:
            raise e

    # -- lists (writers)
    def load_csv(self, list_name: str, path: Union[str, os.PathLike]) -> LoadReport:
        """Replace list_name atomically from a CSV hot-list file."""
        rep = _LoadReport(struct_size=ctypes.sizeof(_LoadReport))
        rc = _lib.hotlist_load_csv(
            self._handle(), _b(list_name), _b(os.fspath(path)), ctypes.byref(rep)
        )
        report = _report(rep)
        self._raise_retro()
        _check(rc, f"load {os.fspath(path)}", report)
        return report

    def replace(self, list_name: str, entries: Iterable[Entry]) -> LoadReport:
        """Replace list_name atomically with these entries ([] empties it)."""
        entries = list(entries)
        arr = (_Entry * max(len(entries), 1))()
        for i, e in enumerate(entries):
            e._fill(arr[i])
        rep = _LoadReport(struct_size=ctypes.sizeof(_LoadReport))
        rc = _lib.hotlist_replace(
            self._handle(), _b(list_name), arr, len(entries), ctypes.byref(rep)
        )
        report = _report(rep)
        self._raise_retro()
        _check(rc, f"replace {list_name}", report)
        return report

    def put(self, list_name: str, entry: Entry) -> None:
        """Add or update one entry; visible to every match that starts after."""
        e = _Entry()
        entry._fill(e)
        rc = _lib.hotlist_put(self._handle(), _b(list_name), ctypes.byref(e))
        self._raise_retro()
        _check(rc, "put")

    def remove(self, list_name: str, plate: str, country: Optional[str] = None) -> int:
        """Remove a plate's entries (of one country if given); returns how many."""
        return _check(
            _lib.hotlist_remove(self._handle(), _b(list_name), _b(plate), _b(country)),
            "remove",
        )

    def drop_list(self, list_name: str) -> None:
        _check(_lib.hotlist_drop_list(self._handle(), _b(list_name)), "drop_list")

    def set_list_options(
        self,
        list_name: str,
        ocr_substitutions: int = 0,
        indels: int = 0,
        ocr_classes: Optional[str] = None,
        cross_border: bool = False,
        repair: bool = True,
        min_score: Optional[int] = None,
        weak_hits: bool = False,
    ) -> None:
        """Fuzzy and cross-border matching of one list (docs/fuzzy.md).

        min_score: alert threshold of fuzzy hits, 0..100 (0: every hit,
        unscored); None: automatic (the library's default)."""
        o = _ListOptions()
        _lib.hotlist_list_options_init_size(ctypes.byref(o), ctypes.sizeof(_ListOptions))
        o.ocr_substitutions = ocr_substitutions
        o.indels = indels
        o.ocr_classes = _b(ocr_classes)
        o.cross_border = cross_border
        o.repair = repair
        if min_score is not None:
            o.min_score = min_score
        o.weak_hits = weak_hits
        _check(
            _lib.hotlist_set_list_options(self._handle(), _b(list_name), ctypes.byref(o)),
            "set_list_options",
        )

    def lists(self) -> List[ListInfo]:
        out = []
        info = _ListInfo(struct_size=ctypes.sizeof(_ListInfo))
        i = 0
        while _lib.hotlist_list_info(self._handle(), i, ctypes.byref(info)) == 0:
            out.append(
                ListInfo(
                    _s(info.name) or "",
                    info.version,
                    info.entries,
                    info.pending_edits,
                    info.index_bytes,
                    info.memory_bytes,
                    info.updated_us,
                    info.innocent_hits_per_1000,
                    info.innocent_alerts_per_1000,
                    info.min_score,
                    bool(info.alert_rate_warning),
                )
            )
            i += 1
        return out

    # -- matching (readers)
    def match(
        self,
        read: Union[Read, str],
        country: Optional[str] = None,
        camera: Optional[str] = None,
        ts_us: int = 0,
        candidates: Sequence[str] = (),
    ) -> List[Hit]:
        """Match one read (a Read, or a plate and keywords); hits in priority order."""
        if not isinstance(read, Read):
            read = Read(read, country, camera, ts_us, candidates)
        arr, keep = _c_reads([read])
        col = _Collector()
        rc = _lib.hotlist_match(self._handle(), arr, col.fn, None)
        del keep
        _check(rc, "match")
        return col.result()

    def match_batch(self, reads: Sequence[Read]) -> List[Hit]:
        """Match many reads in one pipelined call; Hit.read_index says whose.
        Bad reads are skipped and counted in stats().bad_reads."""
        reads = list(reads)
        if not reads:
            return []
        arr, keep = _c_reads(reads)
        col = _Collector()
        rc = _lib.hotlist_match_batch(self._handle(), arr, len(reads), col.fn, None)
        del keep
        _check(rc, "match_batch")
        return col.result()

    # -- statistics
    def stats(self) -> Stats:
        s = _Stats(struct_size=ctypes.sizeof(_Stats))
        _check(_lib.hotlist_stats(self._handle(), ctypes.byref(s)), "stats")

        def lat(x: _Latency) -> Latency:
            return Latency(*(getattr(x, f) for f, _ in _Latency._fields_))

        vals = {}
        for f, _ in _Stats._fields_:
            if f == "struct_size":
                continue
            v = getattr(s, f)
            vals[f] = lat(v) if isinstance(v, _Latency) else v
        return Stats(**vals)


# ---- helpers -------------------------------------------------------------------


def normalise_plate(plate: str) -> str:
    """The plate as the library compares it ("gz-123-b" -> "GZ123B")."""
    out = ctypes.create_string_buffer(PLATE_MAX + 1)
    _check(_lib.hotlist_normalise_plate(_b(plate), out), "normalise_plate")
    return out.value.decode()


def normalise_country(country: Optional[str]) -> str:
    """ISO 3166-1 alpha-2 ("nl" -> "NL", "D" -> "DE"), "" if unknown."""
    out = ctypes.create_string_buffer(3)
    _check(_lib.hotlist_normalise_country(_b(country), out), "normalise_country")
    return out.value.decode()


def version() -> str:
    """The version of the loaded library."""
    return _lib.hotlist_version_string().decode()
