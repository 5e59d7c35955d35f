"""make bench's closing check: each performance target against the run's own figures."""

from benchmarks.load import Result
from benchmarks.report import WHOLE_LIST, Row, added_latency, targets


def result(connections, rps, p50, p99, errors=0) -> Result:
    return Result(connections, int(rps * 5), 5.0, p50, p99, errors)


def rows(*, catalog_rps=5000, catalog_p99=10.0, errors=0, rss=94, cpu=240.0, check="gzip"):
    cached = {"peak_rss_mb": 90, "cpu_us": [cpu]}
    return [
        Row("2 catalog, 40 entries", [result(16, catalog_rps, 5, catalog_p99, errors)], **cached),
        Row(WHOLE_LIST, [result(16, 3000, 5, 20)], rss, f"HIT 4.9 MB -> 1 MB {check}", [500.0]),
        Row("3 provider route, from cache", [result(16, 4600, 5, 9)], **cached),
        Row("5 GET /v1/models/{id} (catalog)", [result(16, 4800, 5, 8)], **cached),
    ]


FIGURES = {"auth_us_10": (600.0, 16.0), "auth_us_100000": (620.0, 15.5), "slow_sync_ms": 280.0}


def lines(alone_p50=0.2, uncached_p50=1.1, **kwargs) -> dict[str, str]:
    alone = Row("1 fake provider alone", [result(1, 4000, alone_p50, 1.0)])
    uncached = Row("4 provider route, caching disabled", [result(1, 400, uncached_p50, 5)], 84)
    text = targets(alone, rows(**kwargs), uncached, FIGURES, 100_000)
    return {line[9:].split(":")[0]: line[:8].strip() for line in text.splitlines()}


def test_every_target_met():
    verdicts = lines()
    assert len(verdicts) == 7
    assert set(verdicts.values()) == {"met"}


def test_each_miss_is_reported():
    assert lines(catalog_rps=4400)["2 catalog, 40 entries"] == "MISSED"
    assert lines(catalog_p99=12.0)["2 catalog, 40 entries"] == "MISSED"
    assert lines(errors=1)["2 catalog, 40 entries"] == "MISSED"
    assert lines(cpu=251.0)["5 GET /v1/models/{id} (catalog)"] == "MISSED"
    assert lines(uncached_p50=1.2)["route 4 adds < 1 ms at p50 (1 connection)"] == "MISSED"
    whole = "whole catalog of 10,000 entries"
    assert lines(rss=151)[whole] == "MISSED"
    assert lines(check="raw")[whole] == "MISSED"


def test_added_latency_is_signed():
    text = added_latency([result(64, 1, 15.0, 600.0)], [result(64, 1, 90.0, 200.0)])
    assert "p50 +75.00 ms" in text
    assert "p99 -400.00 ms" in text


def test_the_table_shows_cpu_per_request_and_its_ratio_to_the_floor():
    from benchmarks.report import table

    floor = Row("0 floor: hello-world, same server", [result(16, 40000, 0.3, 3)], cpu_us=[40.0])
    alone = Row("1 fake provider alone", [result(16, 4000, 3, 14)], cpu_us=[200.0])
    route = Row("2 catalog, 40 entries", [result(16, 5000, 3, 10)], 90, "HIT", [300.0])
    printed = table([floor, alone, route], floor=floor).splitlines()
    assert "CPU us x floor" in " ".join(printed[0].split())
    assert printed[2].split()[-1] == "40"  # the floor has no ratio to itself
    assert printed[3].split()[-1] == "200"  # nor the fake provider, another server
    assert printed[4].split()[-4:] == ["300", "7.5x", "90", "HIT"]
