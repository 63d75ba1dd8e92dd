"""Support code of the test suite: the throwaway realm, its peers and servers, shared helpers.

``realmctl.py`` is also a standalone script (the realm's CLI); ``samba_ad.py`` and
``leak_workload.py`` are run by path as well.
"""
