# flood_clients.py: a connection flood against the collector. From each of
# --sources (loopback addresses), --per-source connections are kept open at
# all times: each sends the start of a request and never finishes it, and as
# soon as the server closes one, it is opened again without pause. Prints,
# as JSON, how many connections were opened and closed by the server.
# Bounded: --duration seconds and --max-connects connections in all; only
# 127.0.0.0/8 is contacted. Used by test_collector_flood.sh.
import argparse
import errno
import json
import selectors
import socket
import sys
import time

HEAD = b"GET /api/v1/hosts HTTP/1.1\r\nHost: collector\r\nX-Flood: 1\r\n"


class Flood:
    def __init__(self, port, max_connects):
        self.port = port
        self.max_connects = max_connects
        self.sel = selectors.DefaultSelector()
        self.stats = {"connects": 0, "closed_by_server": 0, "connect_errors": 0}

    def open(self, src):
        """Starts one connection from src, unless the budget is spent."""
        if self.stats["connects"] >= self.max_connects:
            return
        self.stats["connects"] += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            rc = s.connect_ex(("127.0.0.1", self.port))
        except OSError:
            rc = errno.EADDRNOTAVAIL
        if rc not in (0, errno.EINPROGRESS):
            self.stats["connect_errors"] += 1
            s.close()
            return
        self.sel.register(s, selectors.EVENT_WRITE, {"src": src, "sent": False})

    def event(self, key, mask):
        s, c = key.fileobj, key.data
        if not c["sent"]:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                self.stats["connect_errors"] += 1
                self.reopen(s, c)
                return
            try:
                s.send(HEAD)
            except OSError:
                pass
            c["sent"] = True
            self.sel.modify(s, selectors.EVENT_READ, c)
            return
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.stats["closed_by_server"] += 1
            self.reopen(s, c)

    def reopen(self, s, c):
        self.sel.unregister(s)
        s.close()
        self.open(c["src"])

    def close_all(self):
        for key in list(self.sel.get_map().values()):
            self.sel.unregister(key.fileobj)
            key.fileobj.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sources", required=True, help="comma-separated 127.x.y.z addresses")
    ap.add_argument("--per-source", type=int, required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--max-connects", type=int, required=True)
    ap.add_argument("--ready-file", help="touched once every connection is opened")
    args = ap.parse_args()
    sources = args.sources.split(",")
    if not all(s.startswith("127.") for s in sources):
        sys.exit("only loopback sources")
    flood = Flood(args.port, args.max_connects)
    end = time.monotonic() + args.duration
    for src in sources:
        for _ in range(args.per_source):
            flood.open(src)
    if args.ready_file:
        open(args.ready_file, "w").close()
    while time.monotonic() < end and flood.sel.get_map():
        for key, mask in flood.sel.select(timeout=0.05):
            flood.event(key, mask)
    flood.close_all()
    json.dump(flood.stats, sys.stdout)
    print()


if __name__ == "__main__":
    main()
