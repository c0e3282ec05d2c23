#!/usr/bin/env python3
"""createaccount: create an account on any wiki through MediaWiki's AuthManager
(action=createaccount), asking whatever the wiki's create form asks: a username, a password
and its retype, a captcha, an email address, fields an extension adds.

    python3 createaccount.py API_URL

It fetches the form (Session.auth_fields("create")) and asks for each field it lists, labels and
help as the wiki gives them: passwords without echo, a captcha's question shown just before its
answer, optional fields skipped with Enter. Hidden fields (the captcha's id) are not asked: the
library sends them back itself. When the wiki refuses (a taken name, a wrong captcha answer), it
says why and asks again with the form the wiki now wants (a new captcha), offering the earlier
answers as defaults. MediaWiki's createaccount does not log in: log in afterwards with
clientlogin.py. Set MWAUTH_LOG=debug to see every HTTP exchange (never a password).

The field prompts are clientlogin.py's (this file imports it from its own folder).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Dict, List, Mapping, Tuple

import mwauth
from clientlogin import ask_field, ask_line, follow_redirect, text

Form = Mapping[str, Any]

# Asked first, in this order; a captcha (ConfirmEdit's captcha* fields) last, its question just
# before its answer; everything else in between, in the wiki's order.
FIRST = {"username": 0, "password": 1, "retype": 2}


def ordered(fields: Mapping[str, Any]) -> List[Tuple[str, Any]]:
    def key(item: Tuple[int, Tuple[str, Any]]) -> Tuple[int, int, int]:
        index, (name, _) = item
        group = 0 if name in FIRST else 2 if name.startswith("captcha") else 1
        return group, FIRST.get(name, 0), index

    return [field for _, field in sorted(enumerate(fields.items()), key=key)]


def ask_form(form: Form, earlier: Mapping[str, Any]) -> Dict[str, Any]:
    """Asks every field of `form` but the hidden ones; a non-sensitive answer given `earlier`
    (before the wiki refused) is offered as the default. Returns name -> value to send."""
    values: Dict[str, Any] = {}
    for name, field in ordered(form.get("fields") or {}):
        if field.get("type") == "hidden":
            continue  # the library sends the form's hidden fields back itself
        if name in earlier and not field.get("sensitive") and not name.startswith("captcha"):
            field = dict(field, value=earlier[name])
        value = ask_field(name, field)
        if value is not None:
            values[name] = value
    return values


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} API_URL", file=sys.stderr)
        return 2
    if os.environ.get("MWAUTH_LOG"):
        logging.basicConfig(level=os.environ["MWAUTH_LOG"].upper(), format="%(levelname)s %(name)s: %(message)s")
    with mwauth.Session(argv[1], user_agent="createaccount-example/1.0 (python)") as session:
        form: Form = session.auth_fields("create")
        if form.get("cancreateaccounts") is False:
            print("This wiki does not let this session create accounts.")
            return 1
        earlier: Dict[str, Any] = {}
        while True:
            print("Create an account on", argv[1])
            values = ask_form(form, earlier)
            earlier.update((k, v) for k, v in values.items()
                           if not (form.get("fields") or {}).get(k, {}).get("sensitive"))
            try:
                response = session.auth_begin("create", values)
                while response["status"] in ("UI", "REDIRECT"):  # more to ask, or a third party
                    if response["status"] == "REDIRECT":
                        response = session.auth_continue(follow_redirect(response))
                    else:
                        if response.get("message"):
                            print(text(response["message"]))
                        response = session.auth_continue(ask_form(response, {}))
            except mwauth.LoginError as e:  # FAIL (or RESTART)
                failed = e.response or {}
                print(f"The wiki refused: {text(failed.get('message')) or e.info} ({e.code})")
                # After a FAIL the answer holds the form as the wiki now wants it (a new captcha).
                form = failed if failed.get("fields") else session.auth_fields("create")
                if ask_line("Try again? [Y/n] ").strip().lower() in ("n", "no"):
                    return 1
                continue
            break
        print(f"Created the account {response.get('username')}.")
        print("Not logged in (MediaWiki's createaccount does not log in): log in with clientlogin.py.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except mwauth.Error as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
