"""The example programs, run as a user would (their input piped in)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from conftest import EXAMPLES, env


def run_example(name, *args, stdin="", **env_vars):
    environment = dict(os.environ, **env_vars)
    # A new session has no controlling terminal: getpass then reads the piped stdin.
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], input=stdin, env=environment,
                          capture_output=True, text=True, timeout=120, start_new_session=True)


def test_botlogin_from_the_environment(api_url, bot):
    out = run_example("botlogin.py", MWAUTH_API_URL=api_url, MWAUTH_USERNAME=bot[0], MWAUTH_PASSWORD=bot[1])
    assert out.returncode == 0, out.stderr
    assert "logged in as MwBot" in out.stdout
    assert '"bot"' in out.stdout  # the groups in the userinfo
    assert "logged out" in out.stdout
    assert bot[1] not in out.stdout + out.stderr


def test_botlogin_from_arguments_with_a_wrong_password(api_url, bot):
    out = run_example("botlogin.py", api_url, bot[0], "wrong-password-0123456789abcdefgh")
    assert out.returncode == 1
    assert "login refused: Failed (wrongpassword)" in out.stderr
    out = run_example("botlogin.py", "only-one-argument")
    assert out.returncode == 2 and "usage" in out.stderr


def test_clientlogin_example_with_a_password(api_url, human):
    # username, password, "Keep me logged in" (no); the test provider's button (no).
    out = run_example("clientlogin.py", api_url, stdin=f"{human[0]}\n{human[1]}\nn\nn\n")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Logged in as {human[0]}." in out.stdout
    assert "Logged out." in out.stdout
    assert human[1] not in out.stdout


def test_clientlogin_example_asks_again_after_a_wrong_password(api_url, human):
    answers = f"{human[0]}\nnot the password\nn\nn\n" "y\n" f"{human[0]}\n{human[1]}\nn\nn\n"
    out = run_example("clientlogin.py", api_url, stdin=answers)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "The wiki refused" in out.stdout and "wrongpassword" in out.stdout
    assert f"Logged in as {human[0]}." in out.stdout


def test_clientlogin_example_follows_a_redirect(api_url):
    # No username or password; press the test provider's button; paste the return address
    # with the code (the hidden state is kept by the example).
    back = f"http://127.0.0.1:9/back?mwauthtestCode={env('MWAUTH_TEST_REDIRECT_CODE')}"
    out = run_example("clientlogin.py", api_url, stdin=f"\n\nn\ny\n{back}\n")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Open this address in a browser" in out.stdout
    assert "http://127.0.0.1:9/mwauth-test-idp?state=" in out.stdout
    assert f"Logged in as {env('MWAUTH_TEST_REDIRECT_USER')}." in out.stdout


def test_createaccount_example_asks_what_the_create_form_asks(api_url, session):
    name, password = f"MwPyExample{uuid.uuid4().hex[:8]}", f"Py-example-{uuid.uuid4().hex}"
    # username, password, retype; email and real name (optional: skipped); the captcha's answer
    # (its question shown first, its hidden id left to the library).
    out = run_example("createaccount.py", api_url,
                      stdin=f"{name}\n{password}\n{password}\n\n\n{env('MWAUTH_TEST_CAPTCHA_ANSWER')}\n")
    assert out.returncode == 0, out.stdout + out.stderr
    assert env("MWAUTH_TEST_CAPTCHA_QUESTION") in out.stdout
    assert f"Created the account {name}." in out.stdout
    assert "Not logged in" in out.stdout
    assert password not in out.stdout + out.stderr
    s = session()  # the account exists, with that password
    assert s.clientlogin(username=name, password=password)["username"] == name


def test_createaccount_example_asks_again_after_a_wrong_captcha_and_refuses_a_taken_name(api_url, session):
    name, password = f"MwPyExample{uuid.uuid4().hex[:8]}", f"Py-example-{uuid.uuid4().hex}"
    answers = (f"{name}\n{password}\n{password}\n\n\nnot the answer\n"
               "y\n"  # try again: the earlier username is the default (Enter), a new captcha
               f"\n{password}\n{password}\n\n\n{env('MWAUTH_TEST_CAPTCHA_ANSWER')}\n")
    out = run_example("createaccount.py", api_url, stdin=answers)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "The wiki refused" in out.stdout and "captcha-createaccount-fail" in out.stdout
    assert f"[{name}]" in out.stdout  # offered as the default
    assert f"Created the account {name}." in out.stdout
    assert password not in out.stdout + out.stderr
    out = run_example("createaccount.py", api_url,
                      stdin=f"{name}\n{password}\n{password}\n\n\n{env('MWAUTH_TEST_CAPTCHA_ANSWER')}\nn\n")
    assert out.returncode == 1 and "userexists" in out.stdout  # taken now: refused, not retried
    out = run_example("createaccount.py")
    assert out.returncode == 2 and "usage" in out.stderr
