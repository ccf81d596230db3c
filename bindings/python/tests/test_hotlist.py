# SPDX-License-Identifier: MIT
"""Tests of the Python binding. Run by ctest (test_python) with
HOTLIST_LIBRARY (the built libhotlist.so) and HOTLIST_LAYOUT (the layout
tool, tests/release/layout.c) set; by hand:
    HOTLIST_LIBRARY=build/libhotlist.so.0 PYTHONPATH=bindings/python \\
        python3 -m pytest bindings/python/tests
"""

import ctypes
import os
import subprocess
import threading
from pathlib import Path

import pytest

import hotlist
from hotlist import Engine, Entry, HotlistError, Read

CLI = Path(__file__).resolve().parents[3] / "tests" / "cli"


@pytest.fixture
def eng():
    with Engine() as e:
        yield e


def test_loaded_by_dlopen_without_jemalloc():
    # ctypes loads the library with dlopen(); it must bring no allocator.
    maps = Path("/proc/self/maps").read_text()
    assert "libhotlist" in maps
    assert "jemalloc" not in maps
    assert hotlist.version().count(".") == 2


def test_struct_layout_matches_header():
    tool = os.environ.get("HOTLIST_LAYOUT")
    if not tool:
        pytest.skip("HOTLIST_LAYOUT not set (ctest sets it)")
    out = subprocess.run([tool], check=True, capture_output=True, text=True).stdout
    mods = {
        "read": hotlist._Read,
        "entry": hotlist._Entry,
        "hit": hotlist._Hit,
        "config": hotlist._Config,
        "row_error": hotlist._RowError,
        "load_report": hotlist._LoadReport,
        "list_options": hotlist._ListOptions,
        "list_info": hotlist._ListInfo,
        "latency": hotlist._Latency,
        "stats": hotlist._Stats,
    }
    checked = 0
    for line in out.splitlines():
        kind, name, value = line.split()
        if kind == "struct":
            assert ctypes.sizeof(mods[name]) == int(value), name
        else:
            s, f = name.split(".")
            assert getattr(mods[s], f).offset == int(value), name
        checked += 1
    assert checked > 80


def test_load_csv_and_match(eng):
    rep = eng.load_csv("national", CLI / "national.csv")
    assert (rep.rows, rep.loaded, rep.rejected) == (8, 8, 0)
    assert (rep.expired, rep.not_yet_valid) == (1, 1)  # TX-99-ZB (2020), 99-ZZ-99 (2099)
    assert rep.list_version > 0
    hits = eng.match("g123bd", country="nl", camera="cam-02")
    assert len(hits) == 1
    h = hits[0]
    assert (h.list, h.plate, h.entry_plate, h.country) == ("national", "G-123-BD", "G123BD", "NL")
    assert (h.category, h.reference, h.priority, h.covert) == (
        "wanted person",
        "NL-2026-000102",
        5,
        False,
    )
    assert (h.match, h.candidate, h.substitutions, h.indels) == ("exact", 0, 0, 0)
    assert (h.camera, h.read, h.read_plate, h.read_country) == ("cam-02", "g123bd", "G123BD", "NL")
    assert h.format is True
    # Listed without a country: hits a read of any country.
    assert [x.country for x in eng.match("ZX-999-B", country="LU")] == [""]
    # Read as Belgian, the Dutch entry does not hit; expired entries never do.
    assert eng.match("12-BDF-3", country="BE") == []
    assert eng.match("TX99ZB", country="NL") == []


def test_hits_in_priority_order_across_lists(eng):
    eng.load_csv("national", CLI / "national.csv")
    eng.load_csv("local", CLI / "local.csv")
    hits = eng.match(Read("12BDF3", country="NL", camera="cam-01"))
    assert [(h.list, h.priority) for h in hits] == [("local", 10), ("national", 20)]
    assert hits[0].covert and hits[0].reference == 'LOC-"Utrecht"-1'


def test_load_errors_raise_with_report(eng):
    with pytest.raises(HotlistError) as ei:
        eng.load_csv("bad", CLI / "badrows.csv")
    e = ei.value
    assert e.name == "HOTLIST_EBADROWS" and e.code == -10004
    assert e.message == "too many bad rows; the live list was kept"
    assert e.message in str(e)
    assert e.report.rejected == 4
    assert [r.line for r in e.report.errors] == [4, 6, 7, 8]
    assert e.report.errors[0].reason == "empty plate"
    with pytest.raises(HotlistError) as ei:
        eng.load_csv("gone", CLI / "no-such-file.csv")
    assert ei.value.name == "HOTLIST_ENOENT"
    # The refused list never went live.
    assert [x.name for x in eng.lists()] == []


def test_replace_put_remove(eng):
    rep = eng.replace(
        "stolen",
        [
            Entry("GZ-123-B", "NL", "stolen vehicle", "REF-1", priority=20),
            Entry("1-ABC-234", "BE", "stolen plates"),
        ],
    )
    assert (rep.rows, rep.loaded, rep.rejected) == (2, 2, 0)
    assert len(eng.match("GZ123B", country="NL")) == 1
    eng.put("urgent", Entry("XN-555-K", "NL", "wanted person", priority=0))
    assert [h.list for h in eng.match("xn 555 k")] == ["urgent"]
    assert eng.remove("urgent", "XN-555-K") == 1
    assert eng.match("XN555K") == []
    with pytest.raises(HotlistError) as ei:
        eng.remove("urgent", "XN-555-K")
    assert ei.value.name == "HOTLIST_ENOENT"
    eng.drop_list("urgent")
    assert [x.name for x in eng.lists()] == ["stolen"]
    assert eng.replace("stolen", []).loaded == 0
    assert eng.match("GZ123B", country="NL") == []


def test_replace_reports_bad_entries():
    too_long = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    with Engine(max_bad_fraction=0.5) as e:
        rep = e.replace("l", [Entry("GZ-123-B"), Entry("1-ABC-234"), Entry(too_long)])
        assert (rep.rows, rep.loaded, rep.rejected) == (3, 2, 1)
        assert [(x.line, x.code) for x in rep.errors] == [(3, -10001)]
    with Engine() as e:  # default: 1 % bad refuses, the list stays as it was
        with pytest.raises(HotlistError) as ei:
            e.replace("l", [Entry("GZ-123-B"), Entry(too_long)])
        assert ei.value.name == "HOTLIST_EBADROWS" and ei.value.report.rejected == 1
        assert e.lists() == []


def test_bad_reads_raise(eng):
    eng.replace("l", [Entry("GZ-123-B")])
    with pytest.raises(HotlistError) as ei:
        eng.match("")
    assert ei.value.name == "HOTLIST_EPLATE"
    with pytest.raises(HotlistError) as ei:
        eng.match("GZ123B", country="XX1")
    assert ei.value.name == "HOTLIST_ECOUNTRY"
    with pytest.raises(HotlistError):
        eng.put("l", Entry("GZ-123-B", country="Atlantis"))
    assert eng.stats().bad_reads == 2


def test_batch_equals_single_matches(eng):
    eng.load_csv("national", CLI / "national.csv")
    eng.load_csv("local", CLI / "local.csv")
    reads = [
        Read("12BDF3", "NL", "cam-01"),
        Read("nothing", "NL", "cam-01"),
        Read("g123bd", "nl", "cam-02"),
        Read("", "NL", "cam-03"),  # bad: skipped, counted
        Read("KL888P", None, "cam-07"),
        Read("AB-123-CD", "F", "cam-04"),
    ]
    batch = eng.match_batch(reads)
    single = []
    for i, r in enumerate(reads):
        try:
            hs = eng.match(r)
        except HotlistError:
            continue
        for h in hs:
            h.read_index = i
        single += hs
    key = lambda h: (h.read_index, h.list, h.plate)  # noqa: E731
    assert sorted(map(key, batch)) == sorted(map(key, single))
    assert {h.read_index for h in batch} == {0, 2, 4, 5}
    assert eng.match_batch([]) == []


def test_fuzzy_and_candidates(eng):
    eng.set_list_options("fuzzy", ocr_substitutions=1, indels=1)
    eng.load_csv("fuzzy", CLI / "fuzzy.csv")
    (h,) = eng.match("A8C123")
    assert (h.match, h.substitutions, h.indels, h.plate) == ("ocr", 1, 0, "ABC123")
    (h,) = eng.match("ABCU123")
    assert (h.match, h.indels) == ("indel", 1)
    (h,) = eng.match("GZ123B", country="NL")
    assert h.match == "wildcard" and h.plate == "GZ-12?-B"
    (h,) = eng.match(Read("XF12JG", "NL", candidates=["XF12JG", "XF123G"]))
    assert (h.candidate, h.read_plate, h.plate) == (2, "XF123G", "XF-123-G")
    with pytest.raises(HotlistError) as ei:
        eng.set_list_options("fuzzy", ocr_substitutions=3)
    assert ei.value.name == "HOTLIST_EINVAL"


def test_fuzzy_score_and_policy(eng):
    eng.load_csv("fuzzy", CLI / "fuzzy.csv")
    eng.set_list_options("fuzzy", ocr_substitutions=1, indels=1)
    (h,) = eng.match("ABCU123")
    assert 0 < h.score < 100 and not h.weak
    (info,) = eng.lists()
    assert info.min_score >= 50 and info.innocent_hits_per_1000 >= 0
    (e,) = eng.match("ABC123")
    assert e.score == 100
    eng.set_list_options("fuzzy", ocr_substitutions=1, indels=1, min_score=100)
    assert eng.match("ABCU123") == []
    eng.set_list_options("fuzzy", ocr_substitutions=1, indels=1, min_score=100, weak_hits=True)
    (w,) = eng.match("ABCU123")
    assert w.weak and w.score == h.score


def test_stats_and_lists(eng):
    eng.load_csv("national", CLI / "national.csv")
    eng.put("urgent", Entry("XN-555-K"))
    eng.match("g123bd", country="NL")
    eng.match("nothing")
    s = eng.stats()
    assert (s.reads, s.hits, s.hits_exact, s.bad_reads) == (2, 1, 1, 0)
    assert (s.lists, s.reloads, s.edits) == (2, 1, 1)
    assert s.entries == 9 and s.memory_bytes > 0
    assert s.inline_latency.count == 1
    infos = {x.name: x for x in eng.lists()}
    assert infos["national"].entries == 8 and infos["urgent"].entries == 1


def test_suppression_window():
    with Engine(suppress_window_s=300) as e:
        e.replace("l", [Entry("GZ-123-B")])
        r = Read("GZ123B", camera="cam", ts_us=1_767_225_600_000_000)
        assert len(e.match(r)) == 1
        assert e.match(r) == []
        assert e.stats().suppressed == 1


def test_hits_are_copies_that_outlive_the_list(eng):
    eng.replace("l", [Entry("GZ-123-B", category="first")])
    (h,) = eng.match("GZ123B")
    eng.replace("l", [Entry("GZ-123-B", category="second")])
    eng.drop_list("l")
    assert (h.category, h.plate, h.list) == ("first", "GZ-123-B", "l")


def test_closed_engine_refuses_calls():
    e = Engine()
    e.close()
    e.close()
    with pytest.raises(ValueError):
        e.match("GZ123B")


def test_helpers():
    assert hotlist.normalise_plate("gz-123-b") == "GZ123B"
    assert hotlist.normalise_country(" d ") == "DE"
    assert hotlist.normalise_country(None) == ""
    with pytest.raises(HotlistError):
        hotlist.normalise_plate("")


def test_threads_match_while_a_writer_replaces(eng):
    eng.replace("l", [Entry("GZ-123-B", category="v0")])
    stop = threading.Event()
    seen = []
    errors = []

    def reader():
        try:
            while not stop.is_set():
                hs = eng.match("GZ123B")
                assert len(hs) == 1
                seen.append(hs[0].category)
        except BaseException as ex:  # noqa: BLE001
            errors.append(ex)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for v in range(1, 30):
        eng.replace("l", [Entry("GZ-123-B", category=f"v{v}")])
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert seen and all(c.startswith("v") for c in seen)


def test_readme_example_runs(capsys, monkeypatch):
    # The README's Python example, as printed there, from the checkout's root.
    readme = (CLI.parents[1] / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(CLI.parents[1])
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out == ["A12-west G-123-BD -> national wanted person exact", "2 hits; 3 reads"]


def test_second_reads():
    t = 1_700_000_000_000_000

    def two(e):
        e.replace("l", [Entry("AD123OD", country="FR")])
        e.set_list_options("l", ocr_substitutions=1, indels=1, min_score=100)
        first = e.match(Read("AO123OD", country="FR", camera="c1", ts_us=t))
        second = e.match(Read("AQ123OD", country="FR", camera="c1", ts_us=t + 1_000_000))
        return first, second

    with Engine(second_read_window_s=10) as e:
        first, second = two(e)
        assert first == []
        assert [(h.second_read, h.weak, h.score) for h in second] == [(True, False, 100)]
        assert e.stats().fuzzy_second_read == 1
    with Engine() as e:  # off by default
        assert two(e) == ([], [])
        assert e.stats().fuzzy_second_read == 0


def test_retroactive_hits():
    import time

    got = []
    now_us = int(time.time() * 1e6)
    with Engine(retro_window_s=300, on_retro=got.append) as e:
        e.replace("stolen", [Entry("AB123C")])
        assert e.match(Read("RT42XY", camera="cam7", ts_us=now_us - 60_000_000)) == []
        assert e.match(Read("OLD11X", camera="cam7", ts_us=now_us - 900_000_000)) == []
        e.put("stolen", Entry("RT42XY"))
        assert [(h.read, h.camera, h.ts_us, h.retro) for h in got] == [
            ("RT42XY", "cam7", now_us - 60_000_000, True)
        ]
        e.put("stolen", Entry("OLD11X"))  # older than the window: not kept
        assert len(got) == 1
        live = e.match(Read("RT42XY", camera="cam8", ts_us=now_us))
        assert [h.retro for h in live] == [False]

        def boom(hit):
            raise RuntimeError("from on_retro")

    with Engine(retro_window_s=300, on_retro=boom) as e:
        e.match(Read("ZZ99ZZ", ts_us=now_us))
        with pytest.raises(RuntimeError, match="from on_retro"):
            e.put("l", Entry("ZZ99ZZ"))
    with pytest.raises(ValueError):
        Engine(retro_window_s=300)
