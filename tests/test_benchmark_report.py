"""make bench's closing check: each performance target against the run's own figures."""

from benchmarks.load import Result
from benchmarks.report import Row, added_latency, targets


def result(connections, rps, p50, p99, errors=0) -> Result:
    return Result(connections, int(rps * 5), 5.0, p50, p99, errors)


def rows(*, catalog_rps=2500, catalog_p99=20.0, errors=0, rss=94):
    return [
        Row("2 catalog, 40 entries", [result(16, catalog_rps, 5, catalog_p99, errors)], rss),
        Row(
            "2 catalog, 10,000 entries (page of 100)",
            [result(16, 3000, 5, 20)],
            rss,
            "HIT 37 KB -> 1 KB gzip",
        ),
        Row("3 provider route, from cache", [result(16, 2600, 5, 19)], rss),
        Row("5 GET /v1/models/{id} (catalog)", [result(16, 2800, 5, 18)], rss),
    ]


FIGURES = {"auth_us_10": (600.0, 16.0), "auth_us_100000": (620.0, 15.5), "slow_sync_ms": 280.0}


def lines(alone_p50=0.2, uncached_p50=1.8, **kwargs) -> dict[str, str]:
    alone = Row("1 fake provider alone", [result(1, 4000, alone_p50, 1.0)])
    uncached = Row("4 provider route, caching disabled", [result(1, 400, uncached_p50, 5)], 84)
    text = targets(alone, rows(**kwargs), uncached, FIGURES, 100_000)
    return {line[9:].split(":")[0]: line[:8].strip() for line in text.splitlines()}


def test_every_target_met():
    verdicts = lines()
    assert len(verdicts) == 8
    assert set(verdicts.values()) == {"met"}


def test_each_miss_is_reported():
    assert lines(catalog_rps=1900)["2 catalog, 40 entries"] == "MISSED"
    assert lines(catalog_p99=25.0)["2 catalog, 40 entries"] == "MISSED"
    assert lines(errors=1)["2 catalog, 40 entries"] == "MISSED"
    assert lines(uncached_p50=2.3)["route 4 adds < 2 ms at p50 (1 connection)"] == "MISSED"
    assert lines(rss=151)["worker peak memory < 150 MB"] == "MISSED"


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
