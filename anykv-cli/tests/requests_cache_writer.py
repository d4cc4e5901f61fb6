"""Writes caches with requests-cache itself, for `kvs import requests-cache`'s test.

Usage: python requests_cache_writer.py OUT_DIR REDIS_URL
Starts a local origin, then for each backend (sqlite, filesystem, redis) and serializer (pickle, json)
fetches a few URLs through a CachedSession writing under OUT_DIR, and prints a JSON manifest:
{"caches": {name: path}, "responses": [{"path", "body", "expires"}], "expired": [path]}.
"""
import json
import socketserver
import sys
import threading
import time
import http.server

from requests_cache import CachedSession


class Origin(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("body of " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Cache-Control", "max-age=600")
        if self.path.startswith("/vary"):
            self.send_header("Vary", "Accept-Language")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    out, redis_url = sys.argv[1], sys.argv[2]
    server = socketserver.TCPServer(("127.0.0.1", 0), Origin)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    caches, responses = {}, []
    for backend in ["sqlite", "filesystem", "redis"]:
        for serializer in ["pickle", "json"]:
            name = f"{backend}_{serializer}"
            path = f"{out}/{name}"
            if backend == "redis":
                from redis import Redis
                session = CachedSession(name, backend="redis", serializer=serializer,
                                        expire_after=3600, connection=Redis.from_url(redis_url))
            else:
                session = CachedSession(path, backend=backend, serializer=serializer,
                                        expire_after=3600)
            for url_path in ["/a", "/b?x=1", "/vary"]:
                headers = {"Accept-Language": "fr"} if url_path == "/vary" else {}
                response = session.get(base + url_path, headers=headers)
                if name == "sqlite_pickle":
                    responses.append({
                        "url": base + url_path,
                        "body": response.text,
                        "expires": response.expires.timestamp() if response.expires else None,
                    })
            session.get(base + "/expired", expire_after=1)
            caches[name] = {
                "sqlite": path + ".sqlite",
                "filesystem": path,
                "redis": f"{redis_url}?namespace={name}",
            }[backend]
    time.sleep(1.5)  # /expired is now expired in every cache
    server.shutdown()
    print(json.dumps({"caches": caches, "responses": responses, "expired": base + "/expired"}))


main()
