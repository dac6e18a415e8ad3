import os

from foodvision.base import system


def test_memory_facts_are_consistent():
    total = system.total_memory_bytes()
    assert total > 2**28  # more than 256 MiB
    assert system.memory_budget(0.25) == int(total * 0.25)
    if hasattr(os, "sysconf"):
        assert total == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def test_peak_memory_is_at_least_what_the_process_holds_now():
    block = bytearray(64 * 2**20)
    block[:: 2**12] = b"x" * len(block[:: 2**12])  # touch every page
    if not os.path.exists("/proc/self/statm"):
        peak = system.peak_memory_mb()
        assert peak is None or peak > 0
        return
    with open("/proc/self/statm") as handle:
        resident_pages = int(handle.read().split()[1])
    resident_mb = resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    # the peak (read after; the kernel updates it in steps of a few pages) covers it
    assert system.peak_memory_mb() >= resident_mb - 1 > 64
    del block


def test_cores_versions_and_machine():
    cores = system.usable_cores()
    assert 1 <= cores <= (os.cpu_count() or cores)
    found = system.versions()
    assert found["numpy"] == __import__("numpy").__version__
    assert "python" in found and "no-such-package" not in system.versions(("no-such-package",))
    assert system.package_version("no-such-package") == "0+unknown"
    facts = system.machine()
    assert facts["usable_cores"] == cores and facts["memory_gb"] > 0
    assert isinstance(facts["processor"], str) and facts["processor"]
    assert set(facts["cpu"]) <= {"vendor", "family", "model", "bfloat16"}


def test_cpu_details_tell_cpus_of_one_name_apart():
    zen4 = (
        "model name\t: AMD EPYC\ncpu family\t: 25\nmodel\t\t: 17\nflags\t\t: avx512f avx512_bf16\n"
    )
    other = "model name\t: AMD EPYC\ncpu family\t: 23\nmodel\t\t: 49\nflags\t\t: avx2\n"
    assert system.cpu_details(zen4) == {"family": "25", "model": "17", "bfloat16": ["avx512_bf16"]}
    assert system.cpu_details(other) == {"family": "23", "model": "49", "bfloat16": []}
    two_processors = zen4 + "\n" + other  # the first block only
    assert system.cpu_details(two_processors)["family"] == "25"
    assert system.cpu_details("") == {}
