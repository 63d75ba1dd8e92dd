"""requests-kerberos on winkerberos, with mutual authentication (docs/guides/requests.md).

tests/test_guides.py runs fetch() against Apache httpd with mod_auth_gssapi.
"""

from __future__ import annotations

import winkerberos

# Before requests_kerberos is imported: its `import kerberos` then finds winkerberos.
winkerberos.install_as_kerberos()

import requests  # noqa: E402
from requests_kerberos import REQUIRED, HTTPKerberosAuth  # noqa: E402


def fetch(url: str) -> str:
    """GET a page protected by Kerberos; the server must prove its identity too."""
    auth = HTTPKerberosAuth(mutual_authentication=REQUIRED)
    response = requests.get(url, auth=auth, timeout=30)
    response.raise_for_status()
    return response.text
