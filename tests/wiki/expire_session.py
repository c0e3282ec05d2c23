#!/usr/bin/env python3
"""Expire sessions of the test wiki started by tests/wiki/with-wiki.sh.

    expire_session.py COOKIE_VALUE...

Each COOKIE_VALUE is the value of a `<prefix>_session` or `<prefix>_BPsession`
cookie (a `name=value` pair is accepted too). The session's row
`<wikiid>:MWSession:<value>` is deleted from table `objectcache` in
$MWAUTH_TEST_CACHE_DB, which is what a real server-side expiry looks like to a client.

Exits 0 if at least one session was deleted, 1 if none was found, 2 on usage errors.
"""

import os
import sqlite3
import sys


def main(argv):
    values = [a.split("=", 1)[-1].strip() for a in argv[1:]]
    if not values or not all(values):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        db = os.environ["MWAUTH_TEST_CACHE_DB"]
        wiki_id = os.environ["MWAUTH_TEST_WIKI_ID"]
    except KeyError as e:
        print(f"expire_session: {e.args[0]} is not set (run under tests/wiki/with-wiki.sh)", file=sys.stderr)
        return 2
    if not os.path.isfile(db):
        print(f"expire_session: no such file: {db}", file=sys.stderr)
        return 2

    deleted = 0
    # The wiki's PHP workers write this file concurrently: wait for their locks.
    conn = sqlite3.connect(db, timeout=30)
    try:
        with conn:
            for value in values:
                key = f"{wiki_id}:MWSession:{value}"
                n = conn.execute("DELETE FROM objectcache WHERE keyname = ?", (key,)).rowcount
                if n:
                    deleted += n
                else:
                    print(f"expire_session: no session {key}", file=sys.stderr)
    finally:
        conn.close()
    if not deleted:
        return 1
    print(f"expire_session: deleted {deleted} session(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
