"""The Python side of the benchmarks. Prints "key value" lines for bench/run.sh.

    py_clients.py versions
    py_clients.py login-mwclient  API USER PASSWORD   cold bot login, then meta=userinfo
    py_clients.py login-mwapi     API USER PASSWORD   Session.login(): action=clientlogin, so a
                                                      main-account password (bot passwords fail)
    py_clients.py login-mwapi-bot API USER PASSWORD   bot password: action=login by hand
    py_clients.py login-pywikibot API USER PASSWORD   needs PYWIKIBOT_DIR (see pywikibot_setup)
    py_clients.py pywikibot-setup DIR API USER PASSWORD   writes user-config.py and the password file
    py_clients.py loop-requests   API N               1 warm-up, then N GET meta=siteinfo
    py_clients.py loop-mwapi      API N
    py_clients.py loop-mwauth     API N               bindings/python (MWAUTH_LIBRARY must be set)
    py_clients.py idle-requests   API N               memory of N requests.Session objects
    py_clients.py idle-mwauth     API N               memory of N mwauth.Session objects

Every client parses the JSON answer, as mwauth does.
"""

import os
import sys
import time
from urllib.parse import urlsplit

UA = "mwauth-bench/1.0 (python)"
SITEINFO = {"action": "query", "meta": "siteinfo", "format": "json", "formatversion": "2"}


def out(key, value):
    print(f"{key} {value}", flush=True)


def check_userinfo(info):
    ui = info["query"]["userinfo"]
    if ui.get("anon") or not ui.get("id"):
        raise SystemExit(f"not logged in: {ui}")
    out("userinfo", ui["name"])


def versions():
    from importlib.metadata import version

    out("python", sys.version.split()[0])
    for name in ("mwclient", "mwapi", "pywikibot", "requests", "urllib3"):
        try:
            out(name, version(name))
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            out(name, "missing")


def login_mwclient(api, user, password):
    import mwclient

    u = urlsplit(api)
    path = u.path.rsplit("/", 1)[0] + "/"
    site = mwclient.Site(u.netloc, path=path, scheme=u.scheme, clients_useragent=UA)
    site.login(user, password)
    check_userinfo(site.api("query", meta="userinfo"))


def login_mwapi(api, user, password):
    import mwapi

    u = urlsplit(api)
    s = mwapi.Session(f"{u.scheme}://{u.netloc}", api_path=u.path, user_agent=UA)
    s.login(user, password)
    check_userinfo(s.get(action="query", meta="userinfo", formatversion=2))


def login_mwapi_bot(api, user, password):
    """mwapi has no action=login helper: what its users write for a bot password."""
    import mwapi

    u = urlsplit(api)
    s = mwapi.Session(f"{u.scheme}://{u.netloc}", api_path=u.path, user_agent=UA)
    token = s.get(action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
    r = s.post(action="login", lgname=user, lgpassword=password, lgtoken=token)
    if r["login"]["result"] != "Success":
        raise SystemExit(f"mwapi action=login: {r['login']}")
    check_userinfo(s.get(action="query", meta="userinfo", formatversion=2))


def pywikibot_setup(folder, api, user, password):
    """A user-config.py with an automatic family for the wiki's API URL, and a password file
    with the bot password (pywikibot's BotPassword)."""
    name, app = user.split("@", 1)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "user-config.py"), "w") as f:
        f.write(
            "family = 'benchwiki'\n"
            "mylang = 'benchwiki'\n"
            f"family_files['benchwiki'] = {api!r}\n"
            f"usernames['benchwiki']['*'] = {name!r}\n"
            "password_file = 'user-password.py'\n"
            f"user_agent_format = {UA!r}\n"
            "put_throttle = 0\n"
            "minthrottle = 0\n"
            "maxthrottle = 0\n"
            "max_retries = 0\n"
            "noisysleep = 600.0\n"
            "console_encoding = 'utf-8'\n"
        )
    pw = os.path.join(folder, "user-password.py")
    with open(pw, "w") as f:
        f.write(f"({name!r}, BotPassword({app!r}, {password!r}))\n")
    os.chmod(pw, 0o600)


def login_pywikibot(api, user, password):
    import pywikibot

    site = pywikibot.Site("benchwiki", "benchwiki")  # an AutoFamily's one code is its name
    site.login()
    name = site.username()
    if not site.logged_in():
        raise SystemExit("pywikibot: not logged in")
    r = pywikibot.data.api.Request(site=site, parameters={"action": "query", "meta": "userinfo"})
    check_userinfo(r.submit())
    out("pywikibot_user", name)


def loop(make_call, n):
    call = make_call()
    call()  # warm-up: imports, the connection
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    t1 = time.perf_counter()
    out("requests", n)
    out("us_per_request", f"{(t1 - t0) * 1e6 / n:.2f}")


def make_requests(api):
    import requests

    def make():
        s = requests.Session()
        s.headers["User-Agent"] = UA

        def call():
            r = s.get(api, params=SITEINFO)
            r.raise_for_status()
            return r.json()

        return call

    return make


def make_mwapi(api):
    import mwapi

    u = urlsplit(api)

    def make():
        s = mwapi.Session(f"{u.scheme}://{u.netloc}", api_path=u.path, user_agent=UA)
        return lambda: s.get(action="query", meta="siteinfo", formatversion=2)

    return make


def make_mwauth(api):
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "bindings", "python"))
    import mwauth

    def make():
        s = mwauth.Session(api, user_agent=UA)
        return lambda: s.request({"action": "query", "meta": "siteinfo"})

    return make


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def idle(make_session, n):
    """RSS growth per session object, after one session made first (imports, shared setup)."""
    import gc

    keep = [make_session()]
    gc.collect()
    before = rss_bytes()
    sessions = [make_session() for _ in range(n)]
    gc.collect()
    after = rss_bytes()
    out("sessions", len(sessions))
    out("rss_per_session", f"{(after - before) / n:.0f}")
    del keep


def new_requests_session(api):
    import requests

    def make():
        s = requests.Session()
        s.headers["User-Agent"] = UA
        return s

    return make


def new_mwauth_session(api):
    make_mwauth(api)  # puts the binding on sys.path
    import mwauth

    return lambda: mwauth.Session(api, user_agent=UA)


def main(argv):
    mode, args = argv[1], argv[2:]
    if mode == "versions":
        versions()
    elif mode == "login-mwclient":
        login_mwclient(*args)
    elif mode == "login-mwapi":
        login_mwapi(*args)
    elif mode == "login-mwapi-bot":
        login_mwapi_bot(*args)
    elif mode == "login-pywikibot":
        login_pywikibot(*args)
    elif mode == "pywikibot-setup":
        pywikibot_setup(*args)
    elif mode == "loop-requests":
        loop(make_requests(args[0]), int(args[1]))
    elif mode == "loop-mwapi":
        loop(make_mwapi(args[0]), int(args[1]))
    elif mode == "loop-mwauth":
        loop(make_mwauth(args[0]), int(args[1]))
    elif mode == "idle-requests":
        idle(new_requests_session(args[0]), int(args[1]))
    elif mode == "idle-mwauth":
        idle(new_mwauth_session(args[0]), int(args[1]))
    elif mode == "mwauth-version":
        make_mwauth("http://127.0.0.1/")  # imports the binding
        import mwauth

        out("mwauth_python", f"{mwauth.__version__} (library {mwauth.library_path()})")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
