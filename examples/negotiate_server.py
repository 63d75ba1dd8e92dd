"""A web page protected by HTTP Negotiate (SPNEGO/Kerberos, RFC 4559), with winkerberos.

The WSGI middleware :class:`NegotiateAuth` authenticates every request with winkerberos'
server API and passes it on to the wrapped application with ``REMOTE_USER`` set to the
client's Kerberos principal; :func:`make_app` wraps a page that greets that user::

    from negotiate_server import make_app
    app = make_app(service="HTTP@localhost")

or, from the command line (the standard library's wsgiref server, 127.0.0.1 only)::

    python examples/negotiate_server.py --port 8080 --service HTTP@localhost
    curl --negotiate -u : http://localhost:8080/

The keytab with the service's key is the one KRB5_KTNAME names (else the system default),
read afresh for every request. Each request is authenticated on its own, in one round trip:

* no ``Authorization: Negotiate`` header: 401 with ``WWW-Authenticate: Negotiate``;
* a token that GSSAPI rejects (forged, replayed, for another service, ...): 401 with a
  ``WWW-Authenticate: Negotiate`` challenge and the reason in a plain-text body;
* the service's own credentials unusable (say, no key in the keytab): 500;
* success: the wrapped application's response, plus ``WWW-Authenticate: Negotiate <token>``
  when the client asked for mutual authentication, so that it can check the server.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from wsgiref.simple_server import make_server

import winkerberos as kerberos

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DEFAULT_SERVICE = "HTTP@localhost"
_PLAIN_TEXT = ("Content-Type", "text/plain; charset=utf-8")


def _plain(
    start_response: StartResponse, status: str, text: str, *headers: tuple[str, str]
) -> list[bytes]:
    """Answer with a plain-text body."""
    body = text.encode("utf-8")
    start_response(status, [_PLAIN_TEXT, ("Content-Length", str(len(body))), *headers])
    return [body]


def _log(environ: WSGIEnvironment, message: str) -> None:
    environ["wsgi.errors"].write(f"negotiate_server: {message}\n")


class NegotiateAuth:
    """WSGI middleware: let through only requests that authenticate with Negotiate.

    ``service`` names the acceptor, ``"HTTP@<host name>"``; its key must be in the keytab.
    The wrapped application sees ``REMOTE_USER`` (``"alice@EXAMPLE.COM"``) and
    ``AUTH_TYPE`` (``"Negotiate"``) in its environ.
    """

    def __init__(self, app: WSGIApplication, service: str = DEFAULT_SERVICE) -> None:
        self.app = app
        self.service = service

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "negotiate":
            return self._challenge(
                start_response, "This page requires Kerberos: authenticate with Negotiate."
            )
        if not token:
            return self._challenge(start_response, "The Negotiate header carries no token.")

        try:
            _, context = kerberos.authGSSServerInit(self.service)
        except kerberos.KrbError as exc:
            _log(environ, f"cannot accept Kerberos for {self.service}: {exc}")
            return _plain(
                start_response,
                "500 Internal Server Error",
                f"The server cannot accept Kerberos for {self.service}; see its log.\n",
            )
        try:
            try:
                result = kerberos.authGSSServerStep(context, token)
            except kerberos.KrbError as exc:
                _log(environ, f"rejected a Negotiate token: {exc}")
                return self._challenge(start_response, f"Kerberos authentication failed: {exc}")
            if result != kerberos.AUTH_GSS_COMPLETE:
                # Kerberos needs one round trip; only other mechanisms (NTLM) need more, and
                # this stateless server cannot keep a half-done context between requests.
                return self._challenge(
                    start_response,
                    "The Negotiate exchange needs another round trip, which this server does "
                    "not support: use Kerberos.",
                )
            user = kerberos.authGSSServerUserName(context)
            reply = kerberos.authGSSServerResponse(context)
        finally:
            kerberos.authGSSServerClean(context)
        if not user:
            return self._challenge(start_response, "Kerberos named no client.")

        environ["REMOTE_USER"] = user
        environ["AUTH_TYPE"] = "Negotiate"
        if not reply:  # The client did not ask for mutual authentication.
            return self.app(environ, start_response)

        def start_with_reply(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            headers = [*headers, ("WWW-Authenticate", f"Negotiate {reply}")]
            return start_response(status, headers, exc_info)

        return self.app(environ, start_with_reply)

    @staticmethod
    def _challenge(start_response: StartResponse, reason: str) -> list[bytes]:
        return _plain(
            start_response, "401 Unauthorized", reason + "\n", ("WWW-Authenticate", "Negotiate")
        )


def whoami(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The protected page: greets the authenticated user."""
    return _plain(start_response, "200 OK", f"Hello, {environ['REMOTE_USER']}!\n")


def make_app(service: str = DEFAULT_SERVICE) -> WSGIApplication:
    """The whoami page behind Negotiate authentication as ``service``."""
    return NegotiateAuth(whoami, service)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a page protected by HTTP Negotiate.")
    parser.add_argument(
        "--port", type=int, default=8080, help="port on 127.0.0.1, 0 for any free one (8080)"
    )
    parser.add_argument(
        "--service",
        default=DEFAULT_SERVICE,
        help=f"acceptor name, its key must be in KRB5_KTNAME ({DEFAULT_SERVICE})",
    )
    args = parser.parse_args(argv)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    with make_server("127.0.0.1", args.port, make_app(args.service)) as server:
        # Requests are served in a thread, never interrupted by a signal: wsgiref would catch
        # the KeyboardInterrupt (or SystemExit) raised in the middle of one, and go on serving.
        thread = threading.Thread(target=server.serve_forever, name="wsgi")
        thread.start()
        try:
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C
                # The client names the service after the URL's host, hence "localhost".
                url = f"http://localhost:{server.server_port}/"
                print(f"Serving {url} as {args.service}", flush=True)
                while not stopping.wait(0.5):  # SIGTERM; the timeout lets Ctrl-C through
                    pass
        finally:
            server.shutdown()  # after the request in progress, if any
            thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
