#!/usr/bin/env python3
"""event_recorder.py: stands in for the admin's event intake (POST /api/v1/events/{workflows,nodes,tasks}).

Appends one JSON line per request to LOGFILE: {"path", "requestId", "event"}, answers 200 {}. With FAIL_FIRST=N
the first N requests get 503 (the operator must send them again). Prints its port on stdout, then serves.
Usage: event_recorder.py LOGFILE
"""
import http.server
import json
import os
import sys

log = sys.argv[1]
fail_first = int(os.environ.get("FAIL_FIRST", "0"))
count = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        count[0] += 1
        if count[0] <= fail_first:
            self.send_response(503)
            self.end_headers()
            return
        try:
            d = json.loads(body)
            with open(log, "a") as f:
                f.write(json.dumps({"path": self.path, "requestId": d.get("requestId"), "event": d.get("event")},
                                   sort_keys=True) + "\n")
            code = 200
        except ValueError:
            code = 400
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
