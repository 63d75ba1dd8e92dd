#!/usr/bin/env bash
# realm.sh - the throwaway test realm's CLI (start, stop, env, status, install): a shorthand for
# tests/support/realmctl.py, whose docstring documents it.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/../tests/support/realmctl.py" "$@"
