#!/usr/bin/env python3
"""botlogin: log a bot in with a bot password, print who the wiki says it is, log out.

    python3 botlogin.py [API_URL USERNAME PASSWORD]

Without arguments it reads MWAUTH_API_URL, MWAUTH_USERNAME ("User@appid") and MWAUTH_PASSWORD.
Set MWAUTH_LOG=debug to see every HTTP exchange (never a password or token).
"""

from __future__ import annotations

import json
import logging
import os
import sys

import mwauth


def main(argv: list[str]) -> int:
    if len(argv) == 4:
        api_url, username, password = argv[1:]
    elif len(argv) == 1 and all(os.environ.get(v) for v in ("MWAUTH_API_URL", "MWAUTH_USERNAME", "MWAUTH_PASSWORD")):
        api_url, username, password = (
            os.environ["MWAUTH_API_URL"],
            os.environ["MWAUTH_USERNAME"],
            os.environ["MWAUTH_PASSWORD"],
        )
    else:
        print(
            f"usage: {argv[0]} API_URL USERNAME PASSWORD\n"
            "   or: set MWAUTH_API_URL, MWAUTH_USERNAME and MWAUTH_PASSWORD",
            file=sys.stderr,
        )
        return 2
    if os.environ.get("MWAUTH_LOG"):
        logging.basicConfig(level=os.environ["MWAUTH_LOG"].upper(), format="%(levelname)s %(name)s: %(message)s")

    try:
        with mwauth.Session(api_url, user_agent="botlogin-example/1.0 (python)") as session:
            login = session.login(username, password)
            print(f"mwauth {mwauth.version()}, logged in as {login['username']} (user id {login['userid']})")
            for warning in login.get("warnings", {}).values():
                print(f"warning: {warning}", file=sys.stderr)
            userinfo = session.request({"action": "query", "meta": "userinfo", "uiprop": ["groups", "rights"]})
            print("userinfo:", json.dumps(userinfo["query"]["userinfo"], indent=2))
            session.logout()
            print("logged out")
    except mwauth.LoginError as e:
        print(f"login refused: {e.code} ({e.error.get('reason', '-')}): {e.info}", file=sys.stderr)
        return 1
    except mwauth.Error as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
