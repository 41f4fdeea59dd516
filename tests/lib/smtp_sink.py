#!/usr/bin/python3
# smtp_sink.py PORT DIR: a real SMTP server (aiosmtpd) on 127.0.0.1:PORT
# that writes each message it takes to DIR/NNNN.eml (the data as received,
# then a last line "X-Envelope: FROM -> RCPT,...") before answering 250.
# SINK_HOLD_FIRST=N: after writing the first message, wait N seconds before
# the 250 (a server that took the message but whose answer is late: the
# client may die before it reads it).
# Run with Debian's /usr/bin/python3 (python3-aiosmtpd).
import asyncio
import os
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.out, "%04d.eml" % self.n)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
            f.write(("\r\nX-Envelope: %s -> %s\r\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
        os.rename(tmp, path)
        hold = int(os.environ.get("SINK_HOLD_FIRST", "0"))
        if hold and self.n == 1:
            await asyncio.sleep(hold)
        return "250 OK"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    c = Controller(Sink(out), hostname="127.0.0.1", port=port)
    c.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


if __name__ == "__main__":
    main()
