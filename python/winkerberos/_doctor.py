"""``python -m winkerberos doctor`` and ``check``: what this machine's Kerberos set-up looks
like, and what is wrong with it.

With a ticket, the keytab check does what ``kvno`` does for each (of up to five) service
principals in the keytab: it obtains a service ticket (which the ticket cache keeps) and
accepts it with the keytab, which tells a stale keytab apart from a good one.

Every check yields a :class:`Finding`: what was found, what it means, and, when it is wrong,
what to do. The facts come from the native module (the library loaded, the default
credentials, the keytab's keys, krb5.conf as the libraries read it) and from two probes of
our own: a TCP connection to each KDC, and one AS request whose error reply carries the KDC's
clock. No password is ever printed; keys are never read out of the keytab.
"""

from __future__ import annotations

import os
import secrets
import socket
import struct
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from winkerberos import _native
from winkerberos._errors import KrbError

#: Variables that change what Kerberos (and winkerberos) does.
ENVIRONMENT = {
    "KRB5_CONFIG": "the krb5.conf files to read (colon-separated)",
    "KRB5CCNAME": "the default ticket cache",
    "KRB5_KTNAME": "the keytab a service accepts with",
    "KRB5_CLIENT_KTNAME": "a keytab clients obtain tickets from without kinit",
    "KRB5_TRACE": "a file MIT krb5 writes its whole reasoning to (try /dev/stderr)",
    "KRB5RCACHEDIR": "where services keep their replay cache",
    "KRB5RCACHETYPE": "the replay cache type",
    "KRB5_KDC_PROFILE": "the KDC's own configuration (kdc.conf)",
    "WINKERBEROS_GSSAPI_LIBRARY": "the GSSAPI library winkerberos opens",
    "WINKERBEROS_KRB5_LIBRARY": "the libkrb5 changePassword opens",
}

PROBE_TIMEOUT = 3.0  # seconds for each KDC connection and reply
STATUSES = ("ok", "info", "warning", "problem")


@dataclass
class Finding:
    """The result of one check."""

    check: str
    status: str  # one of STATUSES
    summary: str
    meaning: str
    fix: str | None = None
    kind: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _error_text(exc: KrbError) -> str:
    """The error's message without the hint, and without the name of our own helper."""
    text = str(exc.message or exc).split(". Hint: ")[0]
    helper, sep, rest = text.partition(": ")
    return rest if sep and helper.startswith(("_", "GSSClientContext.")) else text


def _error_finding(check: str, exc: KrbError, meaning: str) -> Finding:
    return Finding(
        check,
        "problem",
        _error_text(exc),
        meaning,
        fix=exc.hint,
        kind=exc.kind,
    )


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# ------------------------------------------------------------------------------------------
# the checks


def check_environment() -> Finding:
    found = {name: os.environ[name] for name in ENVIRONMENT if os.environ.get(name)}
    summary = ", ".join(f"{k}={v}" for k, v in found.items()) or "none set"
    meaning = "; ".join(f"{k}: {ENVIRONMENT[k]}" for k in found) or (
        "the system defaults apply (/etc/krb5.conf, the default ticket cache and keytab)"
    )
    return Finding("environment", "info", summary, meaning, details={"variables": found})


def check_library() -> Finding:
    try:
        info = _native._library_info()
    except KrbError as exc:
        return _error_finding(
            "library", exc, "winkerberos cannot use Kerberos at all without a GSSAPI library"
        )
    vendor = info["vendor"] or "unknown vendor"
    version = f" {info['version']}" if info["version"] else ""
    where = info["path"] or info["name"]
    how = "chosen by WINKERBEROS_GSSAPI_LIBRARY" if info["requested"] else "the system default"
    return Finding(
        "library",
        "ok",
        f"{vendor}{version}: {where}",
        f"the GSSAPI library every call goes through ({how})",
        details=info,
    )


def check_config(config: dict[str, Any]) -> Finding:
    readable = [path for path, ok in config["files"] if ok]
    missing = [path for path, ok in config["files"] if not ok]
    realm = config["default_realm"]
    details = dict(config)
    if not readable:
        return Finding(
            "config",
            "warning",
            f"no krb5.conf could be read ({', '.join(missing)})",
            "without krb5.conf there is no default realm, and KDCs are found only through DNS",
            fix="create /etc/krb5.conf (or point KRB5_CONFIG at one) with default_realm and "
            "the realm's kdc",
            details=details,
        )
    if not realm:
        return Finding(
            "config",
            "warning",
            f"{', '.join(readable)}: no default_realm",
            "names without a realm (and kinit without one) cannot be resolved",
            fix="set default_realm under [libdefaults]",
            details=details,
        )
    kdcs = config["realms"].get(realm, {}).get("kdc", [])
    where = ", ".join(kdcs) if kdcs else "found through DNS" if config["dns_lookup_kdc"] else "none"
    status = "ok" if kdcs or config["dns_lookup_kdc"] else "problem"
    return Finding(
        "config",
        status,
        f"{', '.join(readable)}: default realm {realm}, KDC {where}",
        f"tickets are obtained from the KDCs of {realm}; clocks may differ by "
        f"{config['clockskew']} s",
        fix=None if status == "ok" else f"add kdc = HOST under [realms] {realm} = {{...}}",
        kind=None if status == "ok" else "UnknownRealm",
        details=details,
    )


def check_ccache(config: dict[str, Any], now: float) -> Finding:
    name = config["default_ccache_name"]
    kind = name.split(":", 1)[0] if ":" in name else "FILE"
    details: dict[str, Any] = {"name": name, "type": kind}
    if kind == "FILE":
        try:
            details.update(_native._read_ccache(name))
        except KrbError as exc:
            details["read_error"] = str(exc)
    try:
        cred = _native._default_credential()
    except KrbError as exc:
        finding = _error_finding("ccache", exc, f"the ticket cache {name} cannot be used")
        finding.details = details
        if exc.kind == "Expired":
            ends = [
                t["end"] for t in details.get("tickets", []) if t["server"].startswith("krbtgt/")
            ]
            when = f" at {_utc(max(ends))}" if ends else ""
            finding.summary = (
                f"the ticket in {name} ({details.get('principal', '?')}) expired{when}"
            )
            finding.meaning = "clients using the default credentials fail with ExpiredError"
        elif exc.kind == "NoCredentials":
            finding.summary = f"no ticket in {name}"
            finding.meaning = (
                "clients using the default credentials fail with NoCredentialsError "
                "(clients given a password do not need one)"
            )
        return finding
    lifetime = cred["lifetime"]
    details.update(cred)
    if lifetime == 0:
        return Finding(
            "ccache",
            "problem",
            f"the ticket of {cred['principal']} in {name} has expired",
            "clients using the default credentials fail with ExpiredError",
            fix="get a new ticket: kinit (or kinit -R while it is renewable)",
            kind="Expired",
            details=details,
        )
    valid = "no expiry" if lifetime is None else f"valid for {_duration(lifetime)}"
    if lifetime is not None:
        valid += f", until {_utc(now + lifetime)}"
    return Finding(
        "ccache",
        "ok",
        f"{cred['principal']} in {name} ({kind}), {valid}",
        "clients using the default credentials authenticate as this principal",
        details=details,
    )


def _keytab_services(entries: list[dict[str, Any]]) -> list[str]:
    """The distinct two-component principals (service/host@REALM) of a keytab."""
    seen: list[str] = []
    for entry in entries:
        name = entry["principal"]
        if name.count("/") == 1 and name not in seen and not name.startswith("krbtgt/"):
            seen.append(name)
    return seen[:5]


def _verify_key(principal: str) -> str | None:
    """Get a ticket for ``principal`` and accept it with the keytab; None when that works,
    else the kind of the failure (a StaleKeytab means the keytab is out of date)."""
    service, _, rest = principal.partition("/")
    host = rest.rpartition("@")[0]
    try:
        _, client = _native.authGSSClientInit(principal, gssflags=0)
        token = client.step()
        _, server = _native.authGSSServerInit(f"{service}@{host}")
        assert token is not None
        server.step(token)
    except KrbError as exc:
        return exc.kind or "Failure"
    return None


def check_keytab(config: dict[str, Any], have_ticket: bool) -> Finding:
    name = config["default_keytab_name"]
    chosen = bool(os.environ.get("KRB5_KTNAME"))
    try:
        entries = _native._keytab_entries(None)
    except KrbError as exc:
        if exc.kind == "NoCredentials" and not chosen:
            return Finding(
                "keytab",
                "info",
                f"no keytab at {name}",
                "only services need a keytab; clients do not",
                details={"name": name},
            )
        finding = _error_finding("keytab", exc, "services cannot accept clients without a keytab")
        finding.summary = f"keytab {name}: {finding.summary}"
        finding.details = {"name": name}
        return finding
    keys: dict[str, list[str]] = {}
    for entry in entries:
        enctype = entry["enctype_name"] or str(entry["enctype"])
        keys.setdefault(entry["principal"], []).append(f"kvno {entry['kvno']} {enctype}")
    listing = "; ".join(f"{p} ({', '.join(k)})" for p, k in keys.items()) or "no keys"
    details: dict[str, Any] = {"name": name, "entries": entries, "verified": {}}
    if not entries:
        return Finding(
            "keytab",
            "warning",
            f"{name} holds no keys",
            "services using it cannot accept anyone",
            fix="add the service's key (kadmin ktadd, or msktutil/ktpass for Active Directory)",
            details=details,
        )
    stale = []
    if have_ticket:
        for principal in _keytab_services(entries):
            outcome = _verify_key(principal)
            details["verified"][principal] = outcome or "ok"
            if outcome == "StaleKeytab":
                stale.append(principal)
    if stale:
        return Finding(
            "keytab",
            "problem",
            f"{name}: the KDC encrypts tickets for {', '.join(stale)} with a key this keytab "
            f"lacks ({listing})",
            "services using this keytab reject every client with StaleKeytabError",
            fix="the service's key was changed after the keytab was made: export a fresh "
            "keytab (kadmin ktadd, or msktutil/ktpass for Active Directory) and compare "
            "`klist -kte` with `kvno SERVICE`",
            kind="StaleKeytab",
            details=details,
        )
    checked = " (keys verified against the KDC)" if details["verified"] else ""
    return Finding(
        "keytab",
        "ok",
        f"{name}: {listing}{checked}",
        "services accept clients with these keys",
        details=details,
    )


def _kdc_addresses(specs: list[str]) -> list[tuple[str, int]]:
    out = []
    for spec in specs:
        spec = spec.removeprefix("tcp/").removeprefix("udp/")
        if "://" in spec:  # an MS-KKDCP (HTTPS) proxy: not probed on port 88
            continue
        if spec.startswith("["):
            host, _, port = spec[1:].partition("]")
            port = port.removeprefix(":")
        else:
            host, _, port = spec.partition(":")
        out.append((host, int(port) if port.isdigit() else 88))
    return out


def check_kdc(config: dict[str, Any], realm: str | None) -> tuple[Finding, tuple[str, int] | None]:
    if not realm:
        return Finding("kdc", "info", "no realm to check", "there is no default realm"), None
    specs = config["realms"].get(realm, {}).get("kdc", [])
    if not specs:
        status = "info" if config["dns_lookup_kdc"] else "problem"
        return (
            Finding(
                "kdc",
                status,
                f"krb5.conf names no KDC for {realm}",
                "the KDCs are looked up in DNS (_kerberos._tcp SRV records)"
                if status == "info"
                else "no KDC can be found for the realm",
                fix=None if status == "info" else f"add kdc = HOST under [realms] {realm}",
                kind=None if status == "info" else "UnknownRealm",
            ),
            None,
        )
    results: dict[str, str] = {}
    answering = None
    for host, port in _kdc_addresses(specs):
        try:
            with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
                results[f"{host}:{port}"] = "answers"
                answering = answering or (host, port)
        except OSError as exc:
            results[f"{host}:{port}"] = exc.strerror or type(exc).__name__
    listing = ", ".join(f"{k} {v}" for k, v in results.items())
    if answering is None:
        return (
            Finding(
                "kdc",
                "problem",
                f"no KDC of {realm} answers on TCP: {listing}",
                "no ticket can be obtained or renewed (KdcUnreachableError)",
                fix="start the KDC, or fix the kdc lines of krb5.conf, or open port 88 "
                "(TCP and UDP) in the firewalls between here and the KDC",
                kind="KdcUnreachable",
                details={"kdcs": results},
            ),
            None,
        )
    return (
        Finding(
            "kdc",
            "ok",
            f"{realm}: {listing}",
            "the realm's KDC accepts connections on its Kerberos port",
            details={"kdcs": results},
        ),
        answering,
    )


# A minimal DER writer and reader, enough for one AS-REQ and its KRB-ERROR reply.


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _string(text: str) -> bytes:
    return _der(0x1B, text.encode())


def _sequence(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _tagged(number: int, content: bytes) -> bytes:
    return _der(0xA0 + number, content)


def _principal(name_type: int, *parts: str) -> bytes:
    return _sequence(_tagged(0, _integer(name_type)), _tagged(1, _sequence(*map(_string, parts))))


def as_request(realm: str, client: str) -> bytes:
    """An AS-REQ for ``client``'s TGT, to which a KDC answers with a KRB-ERROR (the client
    does not exist, or must pre-authenticate) carrying the KDC's time."""
    body = _sequence(
        _tagged(0, _der(0x03, b"\x00" + bytes(4))),
        _tagged(1, _principal(1, client)),
        _tagged(2, _string(realm)),
        _tagged(3, _principal(2, "krbtgt", realm)),
        _tagged(5, _der(0x18, b"20370913024805Z")),
        _tagged(7, _integer(secrets.randbits(31))),
        _tagged(8, _sequence(_integer(18), _integer(17))),
    )
    return _der(
        0x6A, _sequence(_tagged(1, _integer(5)), _tagged(2, _integer(10)), _tagged(4, body))
    )


def _read(data: bytes, at: int) -> tuple[int, bytes, int]:
    """The tag, content and end offset of the DER element at ``at``."""
    tag, n = data[at], data[at + 1]
    at += 2
    if n & 0x80:
        size = n & 0x7F
        n = int.from_bytes(data[at : at + size], "big")
        at += size
    return tag, data[at : at + n], at + n


def kdc_time(reply: bytes) -> float:
    """The KDC's time (stime + susec) in a KRB-ERROR; ValueError if the reply is none."""
    tag, body, _ = _read(reply, 0)
    if tag != 0x7E:
        raise ValueError(f"not a KRB-ERROR (tag {tag:#x})")
    _, fields, _ = _read(body, 0)
    at, stime, usec = 0, None, 0
    while at < len(fields):
        tag, content, at = _read(fields, at)
        if tag == 0xA4:
            stime = _read(content, 0)[1].decode()
        elif tag == 0xA5:
            usec = int.from_bytes(_read(content, 0)[1], "big")
    if stime is None:
        raise ValueError("the KRB-ERROR has no stime")
    parsed = datetime.strptime(stime, "%Y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
    return parsed.timestamp() + usec / 1e6


def check_clock(config: dict[str, Any], realm: str | None, kdc: tuple[str, int] | None) -> Finding:
    if realm is None or kdc is None:
        return Finding("clock", "info", "not measured (no KDC answers)", "the offset is unknown")
    request = as_request(realm, "winkerberos-doctor-clock-probe")
    try:
        with socket.create_connection(kdc, timeout=PROBE_TIMEOUT) as conn:
            sent = time.time()
            conn.sendall(struct.pack(">I", len(request)) + request)
            header = conn.recv(4, socket.MSG_WAITALL)
            (length,) = struct.unpack(">I", header)
            reply = b""
            while len(reply) < min(length, 65536):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
            received = time.time()
        offset = kdc_time(reply) - (sent + received) / 2
    except (OSError, ValueError, IndexError, struct.error) as exc:
        return Finding("clock", "info", f"not measured ({exc})", "the KDC's time could not be read")
    allowed = config["clockskew"]
    details = {"offset": round(offset, 3), "allowed": allowed, "kdc": f"{kdc[0]}:{kdc[1]}"}
    # The KDC reports whole seconds (plus microseconds); allow for rounding and the trip.
    if abs(offset) > allowed:
        direction = "behind" if offset > 0 else "ahead of"
        return Finding(
            "clock",
            "problem",
            f"this machine's clock is {_duration(offset)} {direction} the KDC's "
            f"(allowed: {allowed} s)",
            "every exchange fails with ClockSkewError (Clock skew too great)",
            fix="synchronise the clocks of this machine, the KDC and the services with NTP "
            "(clockskew in krb5.conf sets the allowed difference, default 300 s)",
            kind="ClockSkew",
            details=details,
        )
    return Finding(
        "clock",
        "ok",
        f"{offset:+.1f} s from the KDC's clock (allowed: {allowed} s)",
        "tickets and authenticators are accepted as timely",
        details=details,
    )


def doctor() -> list[Finding]:
    """Run every check, in order."""
    now = time.time()
    findings = [check_environment(), check_library()]
    library_ok = findings[-1].status == "ok"
    config = _native._krb5_config()
    findings.append(check_config(config))
    ccache = check_ccache(config, now) if library_ok else None
    if ccache is not None:
        findings.append(ccache)
    else:
        findings.append(
            Finding(
                "ccache",
                "info",
                f"not checked: no GSSAPI library ({config['default_ccache_name']})",
                "the ticket cache can only be read through the library",
            )
        )
    findings.append(check_keytab(config, have_ticket=ccache is not None and ccache.status == "ok"))
    realm = config["default_realm"]
    kdc_finding, kdc = check_kdc(config, realm)
    findings.append(kdc_finding)
    findings.append(check_clock(config, realm, kdc))
    return findings


# ------------------------------------------------------------------------------------------
# check SERVICE


def check_service(
    service: str,
    principal: str | None = None,
    password: str | None = None,
    mech: str = "kerberos",
) -> dict[str, Any]:
    """Obtain a ticket for ``service`` and report whom it is for; never the password."""
    result: dict[str, Any] = {"service": service, "mech": mech, "ok": False}
    try:
        kwargs: dict[str, Any] = {"gssflags": 0}
        if principal is not None:
            kwargs["principal"] = principal
        if password is not None:
            kwargs["password"] = password
        # One Kerberos leg without mutual authentication completes, and names both ends.
        _, client = _native.authGSSClientInit(service, **kwargs)
        client.step()
        result["target"] = _native._client_target_name(client)
        result["client"] = client.user_name
        if mech == "spnego":
            _, spnego = _native.authGSSClientInit(
                service, **kwargs, mech_oid=_native.GSS_MECH_OID_SPNEGO
            )
            spnego.step()
        result["ok"] = True
    except KrbError as exc:
        result.update(
            error=_error_text(exc),
            kind=exc.kind,
            error_class=type(exc).__name__,
            hint=exc.hint,
        )
    return result


def findings_json(findings: list[Finding]) -> dict[str, Any]:
    return {
        "ok": not any(f.status == "problem" for f in findings),
        "checks": [asdict(f) for f in findings],
    }


def format_findings(findings: list[Finding]) -> str:
    labels = {"ok": "ok", "info": "info", "warning": "WARNING", "problem": "PROBLEM"}
    lines = []
    for f in findings:
        lines.append(f"[{labels[f.status]:>7}] {f.check:<11} {f.summary}")
        lines.append(f"{'':21}means: {f.meaning}")
        if f.kind and f.status == "problem":
            lines.append(f"{'':21}kind:  {f.kind}")
        if f.fix:
            lines.append(f"{'':21}fix:   {f.fix}")
    problems = sum(f.status == "problem" for f in findings)
    lines.append(
        "no problems found" if not problems else f"{problems} problem(s) found: see 'fix' above"
    )
    return "\n".join(lines)


def format_check(result: dict[str, Any]) -> str:
    if result["ok"]:
        return (
            f"ok: {result['client']} obtained a ticket for {result['target']} "
            f"(service {result['service']!r}, mech {result['mech']})"
        )
    return "\n".join(
        [
            f"FAILED: a ticket for {result['service']!r} (mech {result['mech']}): "
            f"{result['error']}",
            f"kind:  {result['kind']} ({result['error_class']})",
            f"fix:   {result['hint']}",
        ]
    )
