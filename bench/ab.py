#!/usr/bin/env python3
"""Two builds of pocket-docker side by side: did a change move start-up?

    python3 bench/ab.py OLD_BINARY NEW_BINARY ROOTFS_DIR [PAIRS]

Runs `run --rm ROOTFS /bin/true` and `exec CONTAINER /bin/true` with each
binary in interleaved pairs (the order alternating), each binary with its
own scratch state root, and prints the medians and the median of the
paired ratios new/old.  Interleaving makes both sides see the same machine
noise, so the ratio means more than either time.  Run as root.
"""
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def compare(name, old, new, pairs):
    for _ in range(5):
        timed(old)
        timed(new)
    o, n = [], []
    for i in range(pairs):
        first, second = (old, new) if i % 2 else (new, old)
        a, b = timed(first), timed(second)
        (o, n)[first is new].append(a)
        (o, n)[second is new].append(b)
    ratios = [b / a for a, b in zip(o, n)]
    print(f"{name}: old median {statistics.median(o) * 1000:.1f} ms, new median "
          f"{statistics.median(n) * 1000:.1f} ms, median paired ratio new/old {statistics.median(ratios):.3f}")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    old_bin, new_bin, rootfs = sys.argv[1:4]
    pairs = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    with tempfile.TemporaryDirectory(prefix="pd-ab-") as tmp:
        old = [old_bin, "--root", f"{tmp}/old"]
        new = [new_bin, "--root", f"{tmp}/new"]
        compare("run --rm /bin/true", old + ["run", "--rm", "--rootfs", rootfs, "/bin/true"],
                new + ["run", "--rm", "--rootfs", rootfs, "/bin/true"], pairs)
        ids = {}
        try:
            for k, b in (("old", old), ("new", new)):
                ids[k] = subprocess.run(b + ["run", "-d", "--rootfs", rootfs, "sleep", "100000"],
                                        capture_output=True, text=True, check=True).stdout.strip()
            compare("exec /bin/true", old + ["exec", ids["old"], "/bin/true"],
                    new + ["exec", ids["new"], "/bin/true"], pairs)
        finally:
            for k, b in (("old", old), ("new", new)):
                if k in ids:
                    subprocess.run(b + ["rm", "-f", ids[k]], capture_output=True)


if __name__ == "__main__":
    main()
