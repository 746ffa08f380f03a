# fd_sampler.py: the most sockets a process held at once. Counts the
# socket descriptors in /proc/PID/fd about every millisecond for --duration
# seconds (or until the process ends) and prints, as JSON, the peak and the
# number of samples. Used by test_collector_flood.sh: a slower sampler
# misses a socket held for an instant past the limit.
import argparse
import json
import os
import time


def sockets(pid):
    """The number of socket descriptors of pid now; None once it is gone."""
    base = "/proc/%d/fd" % pid
    try:
        names = os.listdir(base)
    except OSError:
        return None
    n = 0
    for name in names:
        try:
            if os.readlink(base + "/" + name).startswith("socket:"):
                n += 1
        except OSError:
            pass  # closed while it was being read
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--ready-file")
    args = ap.parse_args()
    peak, samples = 0, 0
    end = time.monotonic() + args.duration
    if args.ready_file:
        open(args.ready_file, "w").close()
    while time.monotonic() < end:
        n = sockets(args.pid)
        if n is None:
            break
        peak = max(peak, n)
        samples += 1
        time.sleep(0.001)
    print(json.dumps({"peak": peak, "samples": samples}))


main()
