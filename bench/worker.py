"""One measurement of one library, in this process (started by bench/run.py).

    python bench/worker.py LIB hs SECONDS THREADS
    python bench/worker.py LIB wrap SECONDS SIZE [cc|cs]
    python bench/worker.py LIB gil-kdc SERVICE
    python bench/worker.py LIB gil-wrap SIZE
    python bench/worker.py LIB hs-calls SECONDS          (profiling: time per API call)
    python bench/worker.py LIB wrap-calls SECONDS SIZE   (profiling: time per step)

LIB is one of
    winkerberos   this project, through its pykerberos-compatible API
                  (``import winkerberos as kerberos``)
    winkerberos-bytes
                  this project, through the bytes-level methods of its context
                  objects (ctx.step(), ctx.wrap(), ctx.unwrap()), where the build has them
    pykerberos    PyPI pykerberos (module ``kerberos``)
    gssapi        python-gssapi (high-level API)
    spnego        pyspnego, protocol="kerberos"

The realm comes from the environment (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, ...), so each
configuration is a fresh process. A warm-up handshake puts the service ticket (and, for an
empty MEMORY ccache, the TGT from KRB5_CLIENT_KTNAME) into the ccache; KRB5_CLIENT_KTNAME is
then unset, as MIT re-reads the client keytab on every initiator step while it is set.

hs       full in-process handshakes (client step, server step, client step on the
         mutual-authentication reply), in THREADS threads for SECONDS.
wrap     round trips of one SIZE-byte message, encrypted, on contexts made with the mutual
         flag only (no replay or sequence detection), bytes in and bytes out:
         cc (every library): client wrap of the message + client unwrap of a message the
            server wrapped once before the loop;
         cs (winkerberos, winkerberos-bytes): client wrap + server unwrap of the token it
            produced.
         For the base64 API of winkerberos and pykerberos the loop includes the base64
         conversions the API forces on a caller that holds bytes on both sides (payload and
         wire): encode the payload, decode the wrapped token, encode the peer's token,
         decode the plaintext (cs: encode the payload, decode the plaintext).
gil-kdc  a client step that blocks on a KDC that never answers (KRB5_CONFIG points at one;
         the ccache holds a TGT but no ticket for SERVICE). A pure-Python counter thread
         runs meanwhile; after ~1 s the progress is printed and the process exits without
         waiting for the step. If the step holds the GIL, nothing is printed and run.py
         kills the process.
gil-wrap the same counter during one SIZE-byte wrap, one unwrap and (base64 API) the
         Response getter that hands the output back.

Prints one line "RESULT key=value ..." on stdout.
"""

import base64
import os
import random
import sys
import threading
import time

SPN = "HTTP@localhost"
b64encode = base64.b64encode
b64decode = base64.b64decode


def result(**kv: object) -> None:
    print("RESULT " + " ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


# ---------------------------------------------------------------------------
# Libraries: each gives handshake(wrap_context=False) and, for wrap, a pair of
# callables built on an established context.
# ---------------------------------------------------------------------------


def load_kerberos_api(lib):
    if lib == "winkerberos":
        import winkerberos as kerberos
    else:
        import kerberos
    return kerberos


class KerberosApi:
    """winkerberos and pykerberos: the authGSS* functions with base64 text."""

    def __init__(self, lib):
        self.k = k = load_kerberos_api(lib)
        self.hs_flags = (
            k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG | k.GSS_C_CONF_FLAG | k.GSS_C_INTEG_FLAG
        )

    def handshake(self, flags=None):
        k = self.k
        _, c = k.authGSSClientInit(SPN, gssflags=self.hs_flags if flags is None else flags)
        _, s = k.authGSSServerInit(SPN)
        k.authGSSClientStep(c, "")
        k.authGSSServerStep(s, k.authGSSClientResponse(c))
        k.authGSSClientStep(c, k.authGSSServerResponse(s))
        k.authGSSClientClean(c)
        k.authGSSServerClean(s)
        return c, s

    def wrap_contexts(self):
        return self.handshake(self.k.GSS_C_MUTUAL_FLAG)

    def peer_wrap(self, contexts, data):
        """The server-wrapped message as wire bytes (pykerberos: by a python-gssapi
        acceptor, as pykerberos has no server-side wrap)."""
        k = self.k
        c, s = contexts
        if hasattr(k, "authGSSServerWrap"):
            k.authGSSServerWrap(s, b64encode(data).decode(), 1)
            return contexts, b64decode(k.authGSSServerResponse(s))
        import gssapi

        _, c = k.authGSSClientInit(SPN, gssflags=k.GSS_C_MUTUAL_FLAG)
        k.authGSSClientStep(c, "")
        g = gssapi.SecurityContext(usage="accept")
        reply = g.step(b64decode(k.authGSSClientResponse(c)))
        k.authGSSClientStep(c, b64encode(reply).decode())
        self._peer = g  # keep it alive
        return (c, None), g.wrap(data, True).message

    def round_trip(self, contexts, peer_token, scheme):
        k = self.k
        c, s = contexts
        wrap, unwrap, response = k.authGSSClientWrap, k.authGSSClientUnwrap, k.authGSSClientResponse
        if scheme == "cs":
            server_unwrap, server_response = k.authGSSServerUnwrap, k.authGSSServerResponse

            def once(data):
                wrap(c, b64encode(data).decode(), None, 1)
                server_unwrap(s, response(c))
                return b64decode(server_response(s))

            return once

        def once(data):
            wrap(c, b64encode(data).decode(), None, 1)
            b64decode(response(c))  # the wrapped token, as bytes for the wire
            unwrap(c, b64encode(peer_token).decode())
            return b64decode(response(c))

        return once

    def blocking_step(self, service):
        _, c = self.k.authGSSClientInit(service)
        return self.k.authGSSClientStep(c, "")

    def gil_ops(self, contexts, peer_token, data):
        k = self.k
        c = contexts[0]
        text = b64encode(data).decode()
        peer_text = b64encode(peer_token).decode()
        return [
            ("wrap", lambda: k.authGSSClientWrap(c, text, None, 1)),
            ("wrap_response", lambda: k.authGSSClientResponse(c)),
            ("unwrap", lambda: k.authGSSClientUnwrap(c, peer_text)),
            ("unwrap_response", lambda: k.authGSSClientResponse(c)),
        ]


class WinkerberosBytes(KerberosApi):
    """winkerberos through the bytes-level methods of its context objects (no base64)."""

    def __init__(self, lib):
        super().__init__("winkerberos")
        if not hasattr(self.k.GSSClientContext, "wrap"):
            sys.exit("worker: this winkerberos build has no bytes-level context methods")

    def handshake(self, flags=None):
        k = self.k
        _, c = k.authGSSClientInit(SPN, gssflags=self.hs_flags if flags is None else flags)
        _, s = k.authGSSServerInit(SPN)
        c.step(s.step(c.step()))
        return c, s

    def peer_wrap(self, contexts, data):
        return contexts, contexts[1].wrap(data)

    def blocking_step(self, service):
        _, c = self.k.authGSSClientInit(service)
        return c.step()

    def round_trip(self, contexts, peer_token, scheme):
        c, s = contexts
        if scheme == "cs":
            return lambda data: s.unwrap(c.wrap(data))

        def once(data):
            c.wrap(data)
            return c.unwrap(peer_token)

        return once

    def gil_ops(self, contexts, peer_token, data):
        c = contexts[0]
        return [
            ("wrap", lambda: c.wrap(data)),
            ("unwrap", lambda: c.unwrap(peer_token)),
        ]


class Gssapi:
    """python-gssapi's high-level SecurityContext; the target name is made once."""

    def __init__(self, lib):
        import gssapi

        self.g = gssapi
        self.name = gssapi.Name(SPN, gssapi.NameType.hostbased_service)
        f = gssapi.RequirementFlag
        self.hs_flags = (
            f.mutual_authentication | f.out_of_sequence_detection | f.confidentiality | f.integrity
        )

    def handshake(self, flags=None):
        g = self.g
        c = g.SecurityContext(
            name=self.name,
            usage="initiate",
            mech=g.MechType.kerberos,
            flags=self.hs_flags if flags is None else flags,
        )
        s = g.SecurityContext(usage="accept")
        c.step(s.step(c.step()))
        return c, s

    def wrap_contexts(self):
        return self.handshake(self.g.RequirementFlag.mutual_authentication)

    def peer_wrap(self, contexts, data):
        return contexts, contexts[1].wrap(data, True).message

    def round_trip(self, contexts, peer_token, scheme):
        c = contexts[0]

        def once(data):
            c.wrap(data, True)
            return c.unwrap(peer_token).message

        return once

    def blocking_step(self, service):
        g = self.g
        name = g.Name(service, g.NameType.hostbased_service)
        return len(g.SecurityContext(name=name, usage="initiate").step())

    def gil_ops(self, contexts, peer_token, data):
        c = contexts[0]
        return [
            ("wrap", lambda: c.wrap(data, True)),
            ("unwrap", lambda: c.unwrap(peer_token)),
        ]


class Spnego:
    """pyspnego with protocol="kerberos" (python-gssapi underneath)."""

    def __init__(self, lib):
        import spnego

        self.spnego = spnego

    def handshake(self, flags=None):
        spnego = self.spnego
        kwargs = {} if flags is None else {"context_req": flags}
        c = spnego.client(hostname="localhost", service="HTTP", protocol="kerberos", **kwargs)
        s = spnego.server(protocol="kerberos")
        token = c.step()
        while not (c.complete and s.complete):
            token = s.step(token)
            if token is not None and not c.complete:
                token = c.step(token)
        return c, s

    def wrap_contexts(self):
        req = self.spnego.ContextReq
        return self.handshake(req.mutual_auth | req.confidentiality | req.integrity)

    def peer_wrap(self, contexts, data):
        return contexts, contexts[1].wrap(data).data

    def round_trip(self, contexts, peer_token, scheme):
        c = contexts[0]

        def once(data):
            c.wrap(data)
            return c.unwrap(peer_token).data

        return once

    def blocking_step(self, service):
        svc, host = service.split("@", 1)
        c = self.spnego.client(hostname=host, service=svc, protocol="kerberos")
        return len(c.step())

    def gil_ops(self, contexts, peer_token, data):
        c = contexts[0]
        return [
            ("wrap", lambda: c.wrap(data)),
            ("unwrap", lambda: c.unwrap(peer_token)),
        ]


LIBS = {
    "winkerberos": KerberosApi,
    "winkerberos-bytes": WinkerberosBytes,
    "pykerberos": KerberosApi,
    "gssapi": Gssapi,
    "spnego": Spnego,
}


def payload(size):
    """Pseudo-random bytes: like real data (and ciphertext), nothing a branch predictor or
    a compressor could learn."""
    return random.Random(size).randbytes(size)


def warm_up(lib):
    lib.handshake()
    os.environ.pop("KRB5_CLIENT_KTNAME", None)  # os.environ.pop also unsetenv()s


# ---------------------------------------------------------------------------
# Modes
# ---------------------------------------------------------------------------


def mode_hs(lib, seconds, threads):
    warm_up(lib)
    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    handshake = lib.handshake
    clock = time.perf_counter

    def loop(i):
        start.wait()
        end = clock() + seconds
        n = 0
        while clock() < end:
            handshake()
            n += 1
        counts[i] = n

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    t0, c0 = clock(), time.process_time()
    for w in workers:
        w.join()
    result(n=sum(counts), wall=f"{clock() - t0:.6f}", cpu=f"{time.process_time() - c0:.6f}")


def mode_wrap(lib, seconds, size, scheme):
    warm_up(lib)
    data = payload(size)
    contexts, peer_token = lib.peer_wrap(lib.wrap_contexts(), data)
    once = lib.round_trip(contexts, peer_token, scheme)
    if once(data) != data:
        sys.exit("worker: the round trip did not give the message back")
    clock = time.perf_counter
    n = 0
    t0, c0 = clock(), time.process_time()
    end = t0 + seconds
    while clock() < end:
        once(data)
        n += 1
    result(n=n, wall=f"{clock() - t0:.6f}", cpu=f"{time.process_time() - c0:.6f}")


class Counter:
    """A pure-Python counter thread: it advances only while nothing holds the GIL.

    Besides the count it keeps the longest stall: the longest time between two checks
    (one every 256 increments, a few microseconds apart when it runs freely)."""

    def __init__(self):
        self.count = 0
        self.stop = False
        self.stall = 0.0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        clock = time.perf_counter
        last = clock()
        while not self.stop:
            self.count += 1
            if not self.count & 255:
                now = clock()
                if now - last > self.stall:
                    self.stall = now - last
                last = now

    def rate(self, seconds):
        """Counter increments per second over the next `seconds`, and the longest stall."""
        c0, t0, self.stall = self.count, time.perf_counter(), 0.0
        time.sleep(seconds)
        return (self.count - c0) / (time.perf_counter() - t0), self.stall

    def during(self, fn):
        """Runs fn in another thread; returns (counter rate meanwhile, longest stall,
        seconds fn took, error)."""
        box = {}

        def work():
            t = time.perf_counter()
            try:
                fn()
            except Exception as e:
                box["error"] = type(e).__name__
            box["secs"] = time.perf_counter() - t

        th = threading.Thread(target=work)
        c0, t0, self.stall = self.count, time.perf_counter(), 0.0
        th.start()
        th.join()
        rate = (self.count - c0) / (time.perf_counter() - t0)
        return rate, self.stall, box["secs"], box.get("error", "")


def mode_gil_kdc(lib, service, window=1.0):
    counter = Counter()
    idle, idle_stall = counter.rate(0.4)
    box = {}

    def step():
        t = time.perf_counter()
        try:
            lib.blocking_step(service)
            box["outcome"] = "returned"
        except Exception as e:
            box["outcome"] = type(e).__name__
        box["secs"] = time.perf_counter() - t

    threading.Thread(target=step, daemon=True).start()
    busy, stall = counter.rate(window)
    result(
        ratio=f"{busy / idle:.3f}",
        stall_ms=f"{stall * 1e3:.1f}",
        idle_stall_ms=f"{idle_stall * 1e3:.1f}",
        window=window,
        still_blocked=int("outcome" not in box),
        outcome=box.get("outcome", "-"),
    )
    os._exit(0)  # do not wait for the step: MIT would block ~27 s


def mode_gil_wrap(lib, size):
    warm_up(lib)
    data = payload(size)
    contexts, peer_token = lib.peer_wrap(lib.wrap_contexts(), data)
    counter = Counter()
    out = {}
    for name, fn in lib.gil_ops(contexts, peer_token, data):
        idle, _ = counter.rate(0.3)
        busy, stall, secs, error = counter.during(fn)
        out[name] = f"{busy / idle:.3f}"
        out[name + "_stall_ms"] = f"{stall * 1e3:.1f}"
        out[name + "_ms"] = f"{secs * 1e3:.1f}"
        if error:
            out[name + "_error"] = error
    counter.stop = True
    result(**out)


def mode_hs_calls(lib, seconds):
    """The kerberos API's handshake, timing each call (mean microseconds per handshake)."""
    warm_up(lib)
    k, flags, SPN_ = lib.k, lib.hs_flags, SPN
    names = [
        "ClientInit",
        "ServerInit",
        "ClientStep_1",
        "ClientResponse",
        "ServerStep",
        "ServerResponse",
        "ClientStep_2",
        "free_contexts",
    ]
    spent = [0] * len(names)
    clock = time.perf_counter_ns
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = clock()
        _, c = k.authGSSClientInit(SPN_, gssflags=flags)
        t1 = clock()
        _, s = k.authGSSServerInit(SPN_)
        t2 = clock()
        k.authGSSClientStep(c, "")
        t3 = clock()
        token = k.authGSSClientResponse(c)
        t4 = clock()
        k.authGSSServerStep(s, token)
        t5 = clock()
        reply = k.authGSSServerResponse(s)
        t6 = clock()
        k.authGSSClientStep(c, reply)
        t7 = clock()
        del c, s
        t8 = clock()
        for i, (a, b) in enumerate(
            ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6), (t6, t7), (t7, t8))
        ):
            spent[i] += b - a
        n += 1
    result(n=n, **{name: f"{v / n / 1e3:.1f}" for name, v in zip(names, spent, strict=True)})


def mode_wrap_calls(lib, seconds, size):
    """One cc round trip, timing each step (mean microseconds per round trip)."""
    warm_up(lib)
    data = payload(size)
    contexts, peer_token = lib.peer_wrap(lib.wrap_contexts(), data)
    c = contexts[0]
    clock = time.perf_counter_ns
    if isinstance(lib, WinkerberosBytes):
        steps = [("wrap", lambda x: c.wrap(data)), ("unwrap", lambda x: c.unwrap(peer_token))]
    elif isinstance(lib, KerberosApi):
        k = lib.k
        steps = [
            ("py_b64encode_payload", lambda x: b64encode(data).decode()),
            ("ClientWrap", lambda x: k.authGSSClientWrap(c, x, None, 1)),
            ("ClientResponse", lambda x: k.authGSSClientResponse(c)),
            ("py_b64decode_token", lambda x: b64decode(x)),
            ("py_b64encode_peer", lambda x: b64encode(peer_token).decode()),
            ("ClientUnwrap", lambda x: k.authGSSClientUnwrap(c, x)),
            ("ClientResponse_2", lambda x: k.authGSSClientResponse(c)),
            ("py_b64decode_plain", lambda x: b64decode(x)),
        ]
    else:
        sys.exit("worker: wrap-calls is for winkerberos, winkerberos-bytes and pykerberos")
    spent = [0] * len(steps)
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        x = None
        for i, (_, fn) in enumerate(steps):
            t = clock()
            x = fn(x)
            spent[i] += clock() - t
        n += 1
    result(n=n, **{name: f"{v / n / 1e3:.1f}" for (name, _), v in zip(steps, spent, strict=True)})


def main(argv):
    if len(argv) < 3 or argv[1] not in LIBS:
        sys.exit(__doc__)
    lib = LIBS[argv[1]](argv[1])
    mode, args = argv[2], argv[3:]
    if mode == "hs":
        mode_hs(lib, float(args[0]), int(args[1]))
    elif mode == "wrap":
        mode_wrap(lib, float(args[0]), int(args[1]), args[2] if len(args) > 2 else "cc")
    elif mode == "hs-calls":
        mode_hs_calls(lib, float(args[0]))
    elif mode == "wrap-calls":
        mode_wrap_calls(lib, float(args[0]), int(args[1]))
    elif mode == "gil-kdc":
        mode_gil_kdc(lib, args[0])
    elif mode == "gil-wrap":
        mode_gil_wrap(lib, int(args[0]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
