#!/usr/bin/python3
# smtp_sink.py PORT DIR: a real SMTP server (aiosmtpd) on 127.0.0.1:PORT
# that writes each message it takes to DIR/NNNN.eml (the data as received,
# then a last line "X-Envelope: FROM -> RCPT,...") before answering 250.
# SINK_HOLD_FIRST=N: after writing the first message, wait N seconds before
# the 250 (a server that took the message but whose answer is late: the
# client may die before it reads it).
# SINK_TLS_CERT, SINK_TLS_KEY: offer STARTTLS with that certificate and
# refuse mail without it; SINK_USER, SINK_PASS: and require that log-in
# (only over TLS). The message's file then ends with "X-Sink-TLS: yes" and
# "X-Sink-Login: USER".
# Run with Debian's /usr/bin/python3 (python3-aiosmtpd).
import asyncio
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


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
            f.write(("X-Sink-TLS: %s\r\n" % ("yes" if session.ssl else "no")).encode())
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ""
            f.write(("X-Sink-Login: %s\r\n" % login).encode())
        os.rename(tmp, path)
        hold = int(os.environ.get("SINK_HOLD_FIRST", "0"))
        if hold and self.n == 1:
            await asyncio.sleep(hold)
        return "250 OK"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    kw = {}
    if os.environ.get("SINK_TLS_CERT"):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.environ["SINK_TLS_CERT"], os.environ["SINK_TLS_KEY"])
        kw.update(tls_context=ctx, require_starttls=True)
    if os.environ.get("SINK_USER"):
        user, pw = os.environ["SINK_USER"].encode(), os.environ["SINK_PASS"].encode()

        def check(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login == user and data.password == pw
            return AuthResult(success=ok, auth_data=data)

        kw.update(authenticator=check, auth_required=True, auth_require_tls=True)
    c = Controller(Sink(out), hostname="127.0.0.1", port=port, **kw)
    c.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


if __name__ == "__main__":
    main()
