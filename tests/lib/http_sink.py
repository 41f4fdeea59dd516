#!/usr/bin/python3
# http_sink.py PORT DIR: an HTTP server on 127.0.0.1:PORT that writes the
# body of each POST to DIR/NNNN.json (and its Idempotency-Key header to
# DIR/NNNN.key), then answers 204.
import http.server
import os
import sys

OUT = sys.argv[2]
N = [0]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        N[0] += 1
        base = os.path.join(OUT, "%04d" % N[0])
        with open(base + ".key.tmp", "w") as f:
            f.write(self.headers.get("Idempotency-Key", "") + "\n")
        os.rename(base + ".key.tmp", base + ".key")
        with open(base + ".tmp", "wb") as f:
            f.write(body)
        os.rename(base + ".tmp", base + ".json")
        self.send_response(204)
        self.end_headers()

    def log_message(self, fmt, *args):
        sys.stderr.write("http_sink: " + (fmt % args) + "\n")


os.makedirs(OUT, exist_ok=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
