#!/usr/bin/python3
"""A Modbus TCP server that lies, for tests (raw sockets, no Modbus library).

Usage: hostile_modbus.py PORT EVENTS_FILE UNIT=MODE [UNIT=MODE...]

Each unit id answers read holding/input registers (functions 3 and 4) its
own way:
  good      a well-formed answer; every register pair holds 44.8 (float32)
  len2000   the MBAP length field says 2000; the PDU after it is that of a
            well-formed answer whose data is 00 01 00 00 (9.18e-41 as a
            float32), and nothing more comes
  longer    the MBAP length says 4 bytes more than the PDU, and 4 bytes of
            garbage follow it (the next "frame" starts mid-stream)
  shorter   the MBAP length says 2 bytes less than the PDU
  trickle   a well-formed answer, one byte every 300 ms
Any other unit id gets no answer. Many clients at once, one thread each.

EVENTS_FILE gets one line per request and per closed connection:
  req UNIT MODE T_MS
  closed UNIT MODE MS_SINCE_LAST_REQUEST
so a test can tell how long the client waited for a trickled answer before
giving up (it closes the connection)."""
import select
import socket
import struct
import sys
import threading
import time

port = int(sys.argv[1])
events_path = sys.argv[2]
modes = {}
for arg in sys.argv[3:]:
    unit, mode = arg.split("=", 1)
    modes[int(unit)] = mode

lock = threading.Lock()


def event(line):
    with lock:
        with open(events_path, "a") as f:
            f.write(line + "\n")


def now_ms():
    return int(time.monotonic() * 1000)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def answer(mode, tid, unit, function, count):
    data = bytes.fromhex("42333333") * ((count + 1) // 2)
    data = data[: 2 * count]
    if mode == "len2000":
        data = bytes.fromhex("00010000") * ((count + 1) // 2)
        data = data[: 2 * count]
    pdu = bytes([unit, function, len(data)]) + data
    length = len(pdu)
    tail = b""
    if mode == "len2000":
        length = 2000
    elif mode == "longer":
        length += 4
        tail = b"\x00\x00\x00\x00"
    elif mode == "shorter":
        length -= 2
    return struct.pack(">HHH", tid, 0, length) + pdu + tail


def serve(conn):
    unit = mode = None
    last = now_ms()
    try:
        while True:
            hdr = recv_exact(conn, 7)
            if hdr is None:
                break
            tid, _proto, length, unit = struct.unpack(">HHHB", hdr)
            pdu = recv_exact(conn, length - 1)
            if pdu is None:
                break
            mode = modes.get(unit)
            last = now_ms()
            event("req %d %s %d" % (unit, mode, last))
            if mode is None or len(pdu) < 5 or pdu[0] not in (3, 4):
                continue
            count = struct.unpack(">H", pdu[3:5])[0]
            frame = answer(mode, tid, unit, pdu[0], count)
            if mode == "trickle":
                for b in frame:
                    # Waits 300 ms, noticing at once when the client gives
                    # up and closes.
                    r, _, _ = select.select([conn], [], [], 0.3)
                    if r and not conn.recv(1, socket.MSG_PEEK):
                        raise ConnectionResetError
                    conn.sendall(bytes([b]))
            else:
                conn.sendall(frame)
    except OSError:
        pass
    finally:
        event("closed %s %s %d" % (unit, mode, now_ms() - last))
        conn.close()


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
