"""``python -m winkerberos doctor`` and ``python -m winkerberos check SERVICE``.

Also installed as the ``winkerberos`` command. Both print what they found (``--json``: one
JSON object) and exit with 1 when something is wrong, 0 otherwise (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from winkerberos import _doctor


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="winkerberos",
        description="Diagnose this machine's Kerberos set-up, or test a ticket for a service.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    doctor = commands.add_parser(
        "doctor",
        help="check the library, krb5.conf, ticket cache, keytab, KDC and clock",
    )
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    check = commands.add_parser(
        "check",
        help="obtain a ticket for SERVICE and show whom it is for",
    )
    check.add_argument(
        "service",
        metavar="SERVICE",
        help="HTTP@host, HTTP/host, HTTP/host@REALM or HTTP@host@REALM",
    )
    check.add_argument("--principal", help="authenticate as this user (user@REALM)")
    check.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the user's password from the first line of standard input",
    )
    check.add_argument("--mech", choices=("kerberos", "spnego"), default="kerberos")
    check.add_argument(
        "--trace", action="store_true", help="show MIT krb5's reasoning (KRB5_TRACE) on stderr"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        findings = _doctor.doctor()
        if args.json:
            print(json.dumps(_doctor.findings_json(findings), indent=2))
        else:
            print(_doctor.format_findings(findings))
        return 0 if _doctor.findings_json(findings)["ok"] else 1
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if args.principal is None:
            print("winkerberos check: --password-stdin needs --principal", file=sys.stderr)
            return 2
    if args.trace:
        # MIT reads KRB5_TRACE whenever it creates a library context, so this takes effect
        # for the calls below.
        os.environ["KRB5_TRACE"] = "/dev/stderr"
    result = _doctor.check_service(args.service, args.principal, password, args.mech)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_doctor.format_check(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
