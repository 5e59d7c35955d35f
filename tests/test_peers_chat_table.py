"""make bench-peers' chat table: added latency against the fake alone, CPU against Portkey."""

from benchmarks.load import Result
from benchmarks.measure import Measured
from benchmarks.peers_chat import ChatRun, table


def loaded(cpu_us: float, rps: float = 1000) -> Measured:
    result = Result(16, int(rps * 5), 5.0, 10.0, 30.0, 0)
    return Measured(result=result, cpu_us=cpu_us, connections=(8, 8), cpu_shares=(0.5, 0.5))


def test_added_latency_and_cpu_ratio_are_against_the_right_rows():
    lines = table(
        [
            ChatRun("fake provider alone", 0.20, None),
            ChatRun("Portkey OSS", 1.60, loaded(1200.0, 900)),
            ChatRun("this gateway", 1.40, loaded(900.0, 1500)),
        ]
    ).splitlines()
    alone, peer, ours = lines[1], lines[2], lines[3]
    assert alone.split() == ["fake", "provider", "alone", "0.20"]
    assert "1.40" in peer.split() and "CPU" not in peer and not peer.endswith("x")
    assert ours.split()[-1] == "0.75x"  # 900 / 1200
    assert "1.20" in ours.split() and "1,500" in ours.split()
