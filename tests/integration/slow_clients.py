# slow_clients.py: many connections to the collector that never finish their
# request headers (one more header line every --every seconds, as a slow or
# hostile client would), each from a given loopback source address. Prints,
# as JSON, when the server closed each one (seconds after its connect) or
# null when it was still open at the end. Bounded: --duration seconds in
# all, only 127.0.0.0/8 is contacted. Used by test_collector_slow.sh.
import argparse
import json
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sources", required=True, help="comma-separated 127.x.y.z addresses")
    ap.add_argument("--per-source", type=int, required=True)
    ap.add_argument("--every", type=float, default=1.0)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--ready-file", help="touched once every connection is opened")
    args = ap.parse_args()
    sources = args.sources.split(",")
    for s in sources:
        if not s.startswith("127."):
            sys.exit("only loopback sources")
    sel = selectors.DefaultSelector()
    conns = []
    start = time.monotonic()

    def harvest(timeout):
        """Notes the connections the server has closed since the last call."""
        for key, _ in sel.select(timeout=timeout):
            c = key.data
            try:
                data = c["sock"].recv(4096)
            except OSError:
                data = b""
            if not data:
                c["closed"] = round(time.monotonic() - c["t0"], 2)
                sel.unregister(c["sock"])
                c["sock"].close()
                del c["sock"]

    for src in sources:
        for _ in range(args.per_source):
            c = {"src": src, "closed": None, "sent": 0}
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", args.port))
                s.sendall(b"GET /api/v1/hosts HTTP/1.1\r\nHost: collector\r\n")
                c["t0"] = time.monotonic()
            except OSError:
                c["t0"] = time.monotonic()
                c["closed"] = 0.0
                s.close()
                conns.append(c)
                continue
            s.setblocking(False)
            c["sock"] = s
            sel.register(s, selectors.EVENT_READ, c)
            conns.append(c)
            # Opening 600 takes a while on a loaded machine: a connection
            # turned away at once must be seen so, not when the loop starts.
            harvest(0)
    if args.ready_file:
        open(args.ready_file, "w").close()
    next_line = time.monotonic() + args.every
    end = start + args.duration
    while time.monotonic() < end:
        harvest(0.05)
        if time.monotonic() >= next_line:
            next_line += args.every
            for c in conns:
                if "sock" in c:
                    try:
                        c["sock"].send(b"X-Slow-%d: 1\r\n" % c["sent"])
                        c["sent"] += 1
                    except OSError:
                        pass
    for c in conns:
        if "sock" in c:
            c["sock"].close()
    json.dump([{"src": c["src"], "closed": c["closed"], "lines": c["sent"]} for c in conns],
              sys.stdout)
    print()


if __name__ == "__main__":
    main()
