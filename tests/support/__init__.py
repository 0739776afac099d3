"""Helpers shared by the tests (and the benchmarks that start hubs), one copy each.

archives  hand-made .tar.gz uploads          postgres  a throwaway PostgreSQL server
browser   Debian's Chromium for playwright   release   released notebooks on disk
hub       logging in through the hub's form  synthetic invented results for the gradebook
ports     free ports on 127.0.0.1            waiting   polling until something happens
web       our Tornado apps on a free port    debian    whether Debian's mirror answers
"""
