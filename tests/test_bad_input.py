"""Bad-input catalogue: every public function and bytes-API method with hostile arguments.

Wrong types, None, NUL (direct and percent-encoded), huge and truncated values. Each case runs
in a child interpreter: a crash or hang fails that case (named) and the remaining cases go on in
a new child, so a crash is a failure, never a lost run. Every case must end in a documented
way: the exception class the catalogue expects for it (TypeError for a wrong type, ValueError
for a NUL, ...), with a message, or a normal return where the value is acceptable.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from support.realm import Realm

CHILD = textwrap.dedent(
    r"""
    import base64, json, sys
    import winkerberos as k

    F = k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG | k.GSS_C_CONF_FLAG | k.GSS_C_INTEG_FLAG
    S = "HTTP@localhost"

    def pair():
        _, c = k.authGSSClientInit(S, gssflags=F)
        _, s = k.authGSSServerInit(S)
        k.authGSSClientStep(c, "")
        k.authGSSServerStep(s, k.authGSSClientResponse(c))
        k.authGSSClientStep(c, k.authGSSServerResponse(s))
        return c, s

    C, SV = pair()
    _, FRESH = k.authGSSClientInit(S)
    k.authGSSClientStep(FRESH, "")
    TOKEN = base64.b64decode(k.authGSSClientResponse(FRESH))
    k.authGSSClientWrap(C, base64.b64encode(b"hello").decode(), None, 1)
    SEALED = base64.b64decode(k.authGSSClientResponse(C))
    HUGE_TEXT = "A" * (8 << 20)
    HUGE_BYTES = b"\x00" * (8 << 20)

    VALUES = {
        "int": 1, "float": 1.5, "list": [97], "tuple": (97,), "set": {97}, "dict": {97: 1},
        "range": range(3), "object": object(), "None": None, "bytes": b"x", "str": "x",
        "nul_str": "a\x00b", "nul_bytes": b"a\x00b",
        "nul_pct_user": "alice%00evil@R:pw", "nul_pct_realm": "alice@R%00.EVIL:pw",
        "nul_pct_password": "alice@R:pw%00x", "colon_pct": "alice@R%3Apw",
        "huge_str": HUGE_TEXT, "huge_bytes": HUGE_BYTES,
        "huge_b64": base64.b64encode(HUGE_BYTES).decode(),
        "trunc_token_b64": base64.b64encode(TOKEN[: len(TOKEN) // 2]).decode(),
        "trunc_token": TOKEN[: len(TOKEN) // 2],
        "trunc_sealed_b64": base64.b64encode(SEALED[:-7]).decode(),
        "trunc_sealed": SEALED[:-7],
        "bad_b64": "Zm9v!", "bad_pad_b64": "Zg=a", "empty": "", "empty_bytes": b"",
        "neg": -1, "big_int": 1 << 70,
    }

    def server():
        return k.authGSSServerInit(S)[1]

    CALLS = {
        "authGSSClientInit.service": lambda v: k.authGSSClientInit(v),
        "authGSSClientInit.principal": lambda v: k.authGSSClientInit(S, principal=v),
        "authGSSClientInit.gssflags": lambda v: k.authGSSClientInit(S, gssflags=v),
        "authGSSClientInit.user": lambda v: k.authGSSClientInit(S, user=v, password="pw"),
        "authGSSClientInit.domain": lambda v: k.authGSSClientInit(S, user="u", domain=v),
        "authGSSClientInit.password": lambda v: k.authGSSClientInit(S, user="u", password=v),
        "authGSSClientInit.mech_oid": lambda v: k.authGSSClientInit(S, mech_oid=v),
        "authGSSClientInit.delegated": lambda v: k.authGSSClientInit(S, delegated=v),
        "authGSSClientStep.context": lambda v: k.authGSSClientStep(v, ""),
        "authGSSClientStep.challenge": lambda v: k.authGSSClientStep(FRESH, v),
        "authGSSClientStep.channel_bindings": lambda v: k.authGSSClientStep(
            k.authGSSClientInit(S)[1], "", channel_bindings=v),
        "authGSSClientResponse.context": lambda v: k.authGSSClientResponse(v),
        "authGSSClientResponseConf.context": lambda v: k.authGSSClientResponseConf(v),
        "authGSSClientUserName.context": lambda v: k.authGSSClientUserName(v),
        "authGSSClientInquireCred.context": lambda v: k.authGSSClientInquireCred(v),
        "authGSSClientUnwrap.challenge": lambda v: k.authGSSClientUnwrap(C, v),
        "authGSSClientWrap.data": lambda v: k.authGSSClientWrap(C, v),
        "authGSSClientWrap.user": lambda v: k.authGSSClientWrap(C, "", user=v),
        "authGSSClientWrap.protect": lambda v: k.authGSSClientWrap(C, "", None, v),
        "authGSSClientWrapIov.data": lambda v: k.authGSSClientWrapIov(C, v),
        "authGSSClientUnwrapIov.challenge": lambda v: k.authGSSClientUnwrapIov(C, v),
        "authGSSWinRMEncryptMessage.message": lambda v: k.authGSSWinRMEncryptMessage(C, v),
        "authGSSWinRMDecryptMessage.encrypted_data":
            lambda v: k.authGSSWinRMDecryptMessage(C, v, b"\x00" * 60),
        "authGSSWinRMDecryptMessage.header":
            lambda v: k.authGSSWinRMDecryptMessage(C, b"\x00" * 60, v),
        "authGSSServerInit.service": lambda v: k.authGSSServerInit(v),
        "authGSSServerStep.context": lambda v: k.authGSSServerStep(v, "YQ=="),
        "authGSSServerStep.challenge": lambda v: k.authGSSServerStep(server(), v),
        "authGSSServerStep.channel_bindings":
            lambda v: k.authGSSServerStep(server(), "YQ==", channel_bindings=v),
        "authGSSServerResponse.context": lambda v: k.authGSSServerResponse(v),
        "authGSSServerUserName.context": lambda v: k.authGSSServerUserName(v),
        "authGSSServerTargetName.context": lambda v: k.authGSSServerTargetName(v),
        "authGSSServerWrap.data": lambda v: k.authGSSServerWrap(SV, v),
        "authGSSServerUnwrap.challenge": lambda v: k.authGSSServerUnwrap(SV, v),
        "authGSSServerHasDelegated.context": lambda v: k.authGSSServerHasDelegated(v),
        "authGSSServerStoreDelegate.context": lambda v: k.authGSSServerStoreDelegate(v),
        "authGSSServerCacheName.context": lambda v: k.authGSSServerCacheName(v),
        "channelBindings.initiator_addrtype": lambda v: k.channelBindings(initiator_addrtype=v),
        "channelBindings.initiator_address": lambda v: k.channelBindings(initiator_address=v),
        "channelBindings.application_data": lambda v: k.channelBindings(application_data=v),
        "checkPassword.user": lambda v: k.checkPassword(v, "pw", "HTTP/localhost", ""),
        "checkPassword.pswd": lambda v: k.checkPassword("alice", v, "HTTP/localhost", ""),
        "checkPassword.service": lambda v: k.checkPassword("alice", "pw", v, ""),
        "checkPassword.default_realm": lambda v: k.checkPassword("alice", "pw", "HTTP/x", v),
        "changePassword.user": lambda v: k.changePassword(v, "a", "b"),
        "changePassword.oldpswd": lambda v: k.changePassword("nosuchuser", v, "b"),
        "changePassword.newpswd": lambda v: k.changePassword("nosuchuser", "a", v),
        "getServerPrincipalDetails.service": lambda v: k.getServerPrincipalDetails(v, "h"),
        "getServerPrincipalDetails.hostname": lambda v: k.getServerPrincipalDetails("HTTP", v),
        "GSSClientContext.step": lambda v: k.authGSSClientInit(S)[1].step(v),
        "GSSClientContext.wrap": lambda v: C.wrap(v),
        "GSSClientContext.unwrap": lambda v: C.unwrap(v),
        "GSSServerContext.step": lambda v: server().step(v),
        "GSSServerContext.wrap": lambda v: SV.wrap(v),
        "GSSServerContext.unwrap": lambda v: SV.unwrap(v),
    }

    for line in sys.stdin:
        call, value = json.loads(line)
        print(json.dumps(["begin", call, value]), flush=True)
        try:
            result = CALLS[call](VALUES[value])
            outcome = ["ok", type(result).__name__, ""]
        except BaseException as e:
            outcome = [type(e).__name__, [c.__name__ for c in type(e).__mro__], str(e)[:300]]
        print(json.dumps(["end", call, value, outcome]), flush=True)
    """
)

WRONG_TYPES = ["int", "float", "list", "tuple", "set", "dict", "range", "object"]
BAD_TEXT = ["nul_str", "huge_str", "empty"]
BAD_BYTES = ["nul_bytes", "huge_bytes", "empty_bytes"]
BAD_TOKEN = ["bad_b64", "bad_pad_b64", "huge_b64", "trunc_token_b64", "trunc_sealed_b64"]
BAD_PRINCIPAL = ["nul_pct_user", "nul_pct_realm", "nul_pct_password", "colon_pct"]
BAD_RAW = ["trunc_token", "trunc_sealed", "huge_bytes", "nul_bytes"]
BAD_INT = ["neg", "big_int", "float", "str", "None", "list"]


def _catalogue() -> list[tuple[str, str]]:
    text_args = [
        "authGSSClientInit.service",
        "authGSSClientInit.user",
        "authGSSClientInit.domain",
        "authGSSServerInit.service",
        "authGSSClientWrap.user",
        "checkPassword.user",
        "checkPassword.service",
        "checkPassword.default_realm",
        "changePassword.user",
        "getServerPrincipalDetails.service",
        "getServerPrincipalDetails.hostname",
    ]
    str_or_buffer = [
        "authGSSClientInit.principal",
        "authGSSClientInit.password",
        "checkPassword.pswd",
        "changePassword.oldpswd",
        "changePassword.newpswd",
        "channelBindings.initiator_address",
        "channelBindings.application_data",
        "authGSSWinRMEncryptMessage.message",
    ]
    buffers = [
        "authGSSWinRMDecryptMessage.encrypted_data",
        "authGSSWinRMDecryptMessage.header",
        "GSSClientContext.step",
        "GSSClientContext.wrap",
        "GSSClientContext.unwrap",
        "GSSServerContext.step",
        "GSSServerContext.wrap",
        "GSSServerContext.unwrap",
    ]
    tokens = [
        "authGSSClientStep.challenge",
        "authGSSClientUnwrap.challenge",
        "authGSSClientWrap.data",
        "authGSSClientWrapIov.data",
        "authGSSClientUnwrapIov.challenge",
        "authGSSServerStep.challenge",
        "authGSSServerWrap.data",
        "authGSSServerUnwrap.challenge",
    ]
    contexts = [name for name in _calls() if name.endswith(".context")]
    ints = [
        "authGSSClientInit.gssflags",
        "authGSSClientWrap.protect",
        "channelBindings.initiator_addrtype",
    ]
    objects = [
        "authGSSClientInit.mech_oid",
        "authGSSClientInit.delegated",
        "authGSSClientStep.channel_bindings",
        "authGSSServerStep.channel_bindings",
    ]
    cases: list[tuple[str, str]] = []
    for arg in text_args:
        cases += [(arg, v) for v in [*WRONG_TYPES, "None", "bytes", *BAD_TEXT]]
    for arg in str_or_buffer:
        cases += [(arg, v) for v in [*WRONG_TYPES, "None", *BAD_TEXT, *BAD_BYTES]]
    cases += [("authGSSClientInit.principal", v) for v in BAD_PRINCIPAL]
    for arg in buffers:
        cases += [(arg, v) for v in [*WRONG_TYPES, "None", "str", *BAD_RAW]]
    for arg in tokens:
        cases += [(arg, v) for v in [*WRONG_TYPES, "None", *BAD_TOKEN]]
    for arg in contexts:
        cases += [(arg, v) for v in ["None", "str", "int", "object"]]
    for arg in ints:
        cases += [(arg, v) for v in BAD_INT]
    for arg in objects:
        cases += [(arg, v) for v in ["int", "str", "object", "list"]]
    return cases


def _calls() -> list[str]:
    start = CHILD.index("CALLS = {")
    end = CHILD.index("\n}\n", start)
    return [
        line.strip().split('"')[1]
        for line in CHILD[start:end].splitlines()
        if line.strip().startswith('"')
    ]


DOCUMENTED = {"TypeError", "ValueError", "OverflowError", "KrbError"}
WRONG_TYPE_VALUES = {*WRONG_TYPES, "bytes"}


def _expected(call: str, value: str) -> set[str] | None:
    """The exception classes allowed for a case; None when a normal return is fine too."""
    if value in WRONG_TYPE_VALUES and not call.endswith((".gssflags", ".protect", "addrtype")):
        if value == "bytes" and call == "authGSSClientWrap.user":
            return {"TypeError"}
        return {"TypeError"}
    if value in {"nul_str", "nul_bytes"} and not call.startswith(
        ("GSSClientContext", "GSSServerContext", "authGSSWinRM", "channelBindings")
    ):
        # A NUL in a name or a password: ValueError, as the originals' "s" format raised.
        return {"ValueError", "TypeError"} if "bytes" in value else {"ValueError"}
    if value in BAD_PRINCIPAL:
        return {"ValueError"}
    return None


def _run_children(cases: list[tuple[str, str]]) -> dict[tuple[str, str], list]:
    """Run the cases, restarting the child after a crash or hang; returns each outcome."""
    outcomes: dict[tuple[str, str], list] = {}
    pending = list(cases)
    while pending:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        feed = "".join(json.dumps(case) + "\n" for case in pending)
        try:
            out, err = proc.communicate(feed, timeout=240)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err = "HANG\n" + err
        started = None
        for line in out.splitlines():
            record = json.loads(line)
            if record[0] == "begin":
                started = (record[1], record[2])
            else:
                outcomes[(record[1], record[2])] = record[3]
                started = None
        if started is not None:
            # The child died (or hung) inside this case: a failure, named; go on after it.
            why = f"CRASH (exit {proc.returncode}): {err.strip()[-300:]}"
            outcomes[started] = ["CRASH", [], why]
        elif proc.returncode != 0 and not outcomes:
            pytest.fail(f"the catalogue child failed before any case:\n{err}")
        pending = [case for case in pending if case not in outcomes]
    return outcomes


def test_every_bad_input_ends_in_a_documented_way(realm: Realm) -> None:
    cases = _catalogue()
    assert len(cases) > 300
    assert {call for call, _ in cases} == set(_calls()), "every call is in the catalogue"
    outcomes = _run_children(cases)
    assert set(outcomes) == set(cases)
    problems = []
    for (call, value), (kind, mro, message) in sorted(outcomes.items()):
        expected = _expected(call, value)
        if kind == "ok":
            if expected is not None:
                problems.append(f"{call}({value}): returned, expected {sorted(expected)}")
            continue
        if kind == "CRASH" or not DOCUMENTED & set(mro):
            problems.append(f"{call}({value}): {kind}: {message}")
        elif expected is not None and kind not in expected and not expected & set(mro):
            problems.append(f"{call}({value}): {kind} ({message}), expected {sorted(expected)}")
        elif not message:
            problems.append(f"{call}({value}): {kind} without a message")
    assert not problems, "\n".join(problems)
