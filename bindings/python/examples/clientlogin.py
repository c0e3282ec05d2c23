#!/usr/bin/env python3
"""clientlogin: an interactive login to any wiki through MediaWiki's AuthManager
(action=clientlogin), rendering whatever form the wiki describes: username and password, a
captcha, two-factor codes, choices an extension adds.

    python3 clientlogin.py API_URL

It asks for each field the wiki lists (labels and help as the wiki gives them; passwords and other
sensitive fields without echo; choices by number; hidden fields kept and sent back; fields with
no input shown as information), then continues through every UI step until the wiki says PASS.
For a REDIRECT (a third-party login) it prints the address to open and asks for the address the
browser came back to. Set MWAUTH_LOG=debug to see every HTTP exchange.
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import sys
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

import mwauth

Form = Mapping[str, Any]


def text(message: Any) -> str:
    """A label, help or status message as plain text (the wiki sends wikitext by default)."""
    if message is None:
        return ""
    if isinstance(message, dict):  # messageformat=raw: {"key": ..., "params": [...]}
        return str(message.get("key", message))
    s = re.sub(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]", r"\1", str(message))  # [[target|text]] -> text
    s = re.sub(r"\[(?:https?:)?//\S+ ([^\]]*)\]", r"\1", s)  # [url text] -> text
    return re.sub(r"'''?|<[^>]+>", "", s).strip()


def ask_line(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise SystemExit("\nno more input: giving up") from None


def ask_field(name: str, field: Mapping[str, Any]) -> Optional[Any]:
    """Asks for one field; returns its value, or None to leave it out."""
    kind = field.get("type", "string")
    label = text(field.get("label")).rstrip(":").rstrip() or name  # "Retype password:" has its own colon
    help_text = text(field.get("help"))
    optional = bool(field.get("optional"))
    default = field.get("value")
    if kind == "hidden":
        return default  # not for people: sent back as the wiki gave it
    if kind == "null":
        # Information only (a captcha's image or question, an explanation): nothing to type.
        print(f"  {label}" + (f": {help_text}" if help_text and help_text != label else ""))
        if default:
            print(f"    {default}")
        return None
    if help_text and help_text != label:
        print(f"  ({help_text})")
    suffix = " (optional)" if optional else ""
    if kind in ("checkbox", "button"):
        verb = "press" if kind == "button" else "tick"
        answer = ask_line(f"{label} [{verb}? y/N]{suffix}: ").strip().lower()
        return True if answer in ("y", "yes") else None
    if kind in ("select", "multiselect"):
        options = list((field.get("options") or {}).items())
        for i, (key, option_label) in enumerate(options, 1):
            print(f"    {i}. {text(option_label)} [{key}]")
        many = " (numbers separated by commas)" if kind == "multiselect" else ""
        while True:
            answer = ask_line(f"{label}{many}{suffix}: ").strip()
            if not answer:
                if optional or default is not None:
                    return default
                continue
            keys = []
            for part in answer.split(",") if kind == "multiselect" else [answer]:
                part = part.strip()
                if part.isdigit() and 1 <= int(part) <= len(options):
                    keys.append(options[int(part) - 1][0])
                elif part in dict(options):
                    keys.append(part)
            if keys:
                return "|".join(keys) if kind == "multiselect" else keys[0]
            print("    not one of the choices")
    while True:
        prompt = f"{label}{suffix}" + (f" [{default}]" if default and not field.get("sensitive") else "") + ": "
        if kind == "password" or field.get("sensitive"):
            answer = getpass.getpass(prompt)
        else:
            answer = ask_line(prompt)
        if answer:
            return answer
        if default:
            return default
        if optional:
            return None


def ordered(fields: Mapping[str, Any]) -> List[Tuple[str, Any]]:
    """The fields in the order a person expects: information first, then username and
    password, then the rest in the wiki's order, buttons (other ways to log in) last."""
    rank = {"null": 0, "hidden": 0, "button": 3}
    first = {"username": 1, "password": 2}
    return sorted(fields.items(), key=lambda kv: (rank.get(kv[1].get("type"), 2), first.get(kv[0], 9)))


def ask_form(form: Form, known: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Asks every field of ``form`` (a clientlogin_fields or clientlogin answer), except those
    already ``known``; returns name -> value for the fields to send."""
    known = known or {}
    values: Dict[str, Any] = {}
    if form.get("message"):
        print(text(form["message"]))
    for name, field in ordered(form.get("fields") or {}):
        if name in known:
            values[name] = known[name]
            continue
        value = ask_field(name, field)
        if value is not None:
            values[name] = value
    return values


def follow_redirect(response: Form) -> Dict[str, Any]:
    """REDIRECT: the user logs in at a third party, which sends the browser back to our return
    URL with query parameters; those parameters are the next step's fields."""
    print(f"Open this address in a browser and log in there:\n  {response['redirecttarget']}")
    back = ask_line("Then paste the address the browser came back to: ").strip()
    # Hidden fields of the REDIRECT (such as a state) go back as they came, unless the
    # returned address carries them too.
    values = {name: f["value"] for name, f in (response.get("fields") or {}).items()
              if f.get("type") == "hidden" and f.get("value") is not None}
    values.update(parse_qsl(urlsplit(back).query, keep_blank_values=True))
    return values


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} API_URL", file=sys.stderr)
        return 2
    if os.environ.get("MWAUTH_LOG"):
        logging.basicConfig(level=os.environ["MWAUTH_LOG"].upper(), format="%(levelname)s %(name)s: %(message)s")
    with mwauth.Session(argv[1], user_agent="clientlogin-example/1.0 (python)") as session:
        form: Form = session.clientlogin_fields()
        preserve = False
        while True:
            print("Log in to", argv[1])
            values = ask_form(form)
            if preserve:
                values["preservestate"] = True
            try:
                response = session.clientlogin(values)
                while response["status"] in ("UI", "REDIRECT"):
                    if response["status"] == "REDIRECT":
                        response = session.clientlogin_step(follow_redirect(response))
                    else:
                        response = session.clientlogin_step(ask_form(response))
            except mwauth.LoginError as e:
                failed = e.response or {}
                print(f"The wiki refused: {text(failed.get('message')) or e.info} ({e.code})")
                if failed.get("status") == "RESTART":
                    # The wiki wants the login to start over (e.g. a third-party account not yet
                    # linked); keep what it offers to preserve.
                    preserve = True
                    form = session.clientlogin_fields()
                elif failed.get("fields"):
                    form = failed  # the form as the wiki now wants it (a captcha may appear only now)
                else:
                    form = session.clientlogin_fields()
                if ask_line("Try again? [Y/n] ").strip().lower() in ("n", "no"):
                    return 1
                continue
            break
        print(f"Logged in as {response.get('username')}.")
        who = session.request({"action": "query", "meta": "userinfo", "uiprop": "groups"})
        print("userinfo:", who["query"]["userinfo"])
        session.logout()
        print("Logged out.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except mwauth.Error as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
