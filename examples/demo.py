"""A complete Kerberos exchange through winkerberos, printing each step.

Run by ``scripts/demo.sh``, which starts a throwaway realm and points KRB5_CONFIG,
KRB5CCNAME and KRB5_KTNAME at it. Three scenes:

1. HTTP-style Negotiate between a client and a service, both in this process: the handshake
   legs, mutual authentication, the names each side sees, and wrap/unwrap both ways.
2. pymongo's SASL GSSAPI sequence for another user, with ``principal="user@REALM:password"``
   percent-encoded as pymongo sends it, and an empty ticket cache.
3. A real HTTP exchange on 127.0.0.1: examples/negotiate_server.py protects a page with
   ``WWW-Authenticate: Negotiate``; our client, then curl, authenticate to it.
4. What a mistake looks like: an unknown service, and a wrong password.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, make_server

import winkerberos as kerberos

sys.path.insert(0, str(Path(__file__).resolve().parent))
from negotiate_server import make_app


def show(label: str, value: object) -> None:
    text = str(value)
    if len(text) > 72:
        text = f"{text[:60]}... ({len(text)} chars)"
    print(f"    {label:<34} {text}")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def negotiate(service: str) -> None:
    print(f"\n1. Client and service authenticate (Negotiate to {service}, SPNEGO)")
    flags = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG | kerberos.GSS_C_CONF_FLAG
    _, client = kerberos.authGSSClientInit(
        service, gssflags=flags, mech_oid=kerberos.GSS_MECH_OID_SPNEGO
    )
    _, server = kerberos.authGSSServerInit(service)
    show("client step 1 ->", kerberos.authGSSClientStep(client, ""))
    token = kerberos.authGSSClientResponse(client)
    show("  Authorization: Negotiate", token)
    show("server step ->", kerberos.authGSSServerStep(server, token))
    reply = kerberos.authGSSServerResponse(server)
    show("  WWW-Authenticate: Negotiate", reply)
    show("server authenticated", kerberos.authGSSServerUserName(server))
    show("client step 2 (mutual auth) ->", kerberos.authGSSClientStep(client, reply))
    show("client is", kerberos.authGSSClientUserName(client))

    kerberos.authGSSClientWrap(client, b64(b"GET /balance"), None, 1)
    sealed = kerberos.authGSSClientResponse(client)
    show("client wraps (encrypted)", sealed)
    kerberos.authGSSServerUnwrap(server, sealed)
    plain = base64.b64decode(kerberos.authGSSServerResponse(server) or "")
    show("server unwraps", f"{plain!r} encrypted={kerberos.authGSSServerResponseConf(server)}")
    kerberos.authGSSServerWrap(server, b64(b"balance: 42"), 0)
    kerberos.authGSSClientUnwrap(client, kerberos.authGSSServerResponse(server) or "")
    plain = base64.b64decode(kerberos.authGSSClientResponse(client) or "")
    show(
        "client unwraps server's reply",
        f"{plain!r} encrypted={kerberos.authGSSClientResponseConf(client)}",
    )


def pymongo_sasl(service: str, username: str, password: str) -> None:
    print(f"\n2. pymongo's SASL GSSAPI sequence as {username} (password, empty ticket cache)")
    default_cache = os.environ["KRB5CCNAME"]
    cache_file = default_cache.removeprefix("FILE:")
    before = open(cache_file, "rb").read()  # noqa: SIM115
    empty = os.path.join(os.path.dirname(cache_file), "no-such-ccache")
    os.environ["KRB5CCNAME"] = f"FILE:{empty}"
    show("KRB5CCNAME (empty)", os.environ["KRB5CCNAME"])
    try:
        sasl_exchange(service, username, password)
    finally:
        os.environ["KRB5CCNAME"] = default_cache
    untouched = open(cache_file, "rb").read() == before  # noqa: SIM115
    show("default ticket cache untouched", untouched)
    show("no ticket cache was written", not os.path.exists(empty))


def sasl_exchange(service: str, username: str, password: str) -> None:
    principal = ":".join((quote(username), quote(password)))
    show("principal argument", principal.split(":")[0] + ":<percent-encoded password>")
    _, client = kerberos.authGSSClientInit(service, principal, gssflags=kerberos.GSS_C_MUTUAL_FLAG)
    _, server = kerberos.authGSSServerInit(service)
    show("saslStart: client step ->", kerberos.authGSSClientStep(client, ""))
    kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client) or "")
    result = kerberos.authGSSClientStep(client, kerberos.authGSSServerResponse(server) or "")
    show("saslContinue: client step ->", result)
    # The server offers its security layers: no layer, integrity, privacy; max 64 KiB.
    kerberos.authGSSServerWrap(server, b64(b"\x07\x00\xff\xff"))
    kerberos.authGSSClientUnwrap(client, kerberos.authGSSServerResponse(server) or "")
    show("client unwraps the offer", base64.b64decode(kerberos.authGSSClientResponse(client) or ""))
    kerberos.authGSSClientWrap(client, kerberos.authGSSClientResponse(client) or "", username)
    kerberos.authGSSServerUnwrap(server, kerberos.authGSSClientResponse(client) or "")
    reply = base64.b64decode(kerberos.authGSSServerResponse(server) or "")
    show("server reads the client's choice", reply)
    show("MongoDB would log in", kerberos.authGSSServerUserName(server))
    kerberos.authGSSClientClean(client)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def http_negotiate(service: str) -> None:
    print("\n3. HTTP Negotiate over 127.0.0.1 (examples/negotiate_server.py)")
    server = make_server("127.0.0.1", 0, make_app(service), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    try:
        conn = http.client.HTTPConnection("localhost", port, timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        show(
            "GET / ->",
            f"{response.status} WWW-Authenticate: {response.getheader('WWW-Authenticate')}",
        )
        _, client = kerberos.authGSSClientInit(
            "HTTP@localhost", mech_oid=kerberos.GSS_MECH_OID_SPNEGO
        )
        kerberos.authGSSClientStep(client, "")
        token = kerberos.authGSSClientResponse(client)
        conn.request("GET", "/", headers={"Authorization": f"Negotiate {token}"})
        response = conn.getresponse()
        body = response.read().decode()
        reply = (response.getheader("WWW-Authenticate") or "").removeprefix("Negotiate ")
        show("GET / + Negotiate token ->", f"{response.status} {body.strip()!r}")
        show("server's mutual-auth token", reply)
        show("client verifies it ->", kerberos.authGSSClientStep(client, reply))
        conn.close()
        if shutil.which("curl"):
            out = subprocess.run(
                ["curl", "-s", "--negotiate", "-u", ":", f"http://localhost:{port}/"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            show("curl --negotiate -u : ->", out.stdout.strip() or out.stderr.strip())
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def mistakes(username: str) -> None:
    print("\n4. Mistakes get a clear exception")
    try:
        _, client = kerberos.authGSSClientInit("HTTP@no-such-host")
        kerberos.authGSSClientStep(client, "")
    except kerberos.GSSError as exc:
        print(f"    unknown service, e.args (as pykerberos): {exc.args}")
        print(f"    str(e): {exc}")
    try:
        kerberos.authGSSClientInit("HTTP@localhost", f"{username}:not-the-password")
    except kerberos.GSSError as exc:
        print(f"    wrong password: {exc}")


def main() -> int:
    service = os.environ.get("WKTEST_SERVICE", "HTTP@localhost")
    print(f"winkerberos {kerberos.__version__}; realm config {os.environ.get('KRB5_CONFIG')}")
    negotiate(service)
    pymongo_sasl(service, os.environ["WKTEST_CAROL"], os.environ["WKTEST_CAROL_PASS"])
    http_negotiate(service)
    mistakes(os.environ["WKTEST_BOB"])
    print("\nDone: every step above went through the system's GSSAPI library.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
