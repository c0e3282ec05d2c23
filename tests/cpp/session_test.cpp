// The C++ wrapper (bindings/cpp/mwauth.hpp) against the real test wiki (tests/wiki/with-wiki.sh
// sets the environment): log in, read, edit with a csrf token, the error classes, move
// semantics, threads, the logger, AuthManager (create, link, unlink and their errors). Ends
// with "session_test: N passed, N failed".
#include <mwauth.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <ctime>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "check.hpp"

namespace {

int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // free a moment ago, and nothing listens on it
  return ntohs(addr.sin_port);
}

}  // namespace

static_assert(!std::is_copy_constructible_v<mwauth::Session>, "Session is move-only");
static_assert(!std::is_copy_assignable_v<mwauth::Session>, "Session is move-only");
static_assert(std::is_nothrow_move_constructible_v<mwauth::Session>, "moves do not throw");
static_assert(std::is_nothrow_move_assignable_v<mwauth::Session>, "moves do not throw");
static_assert(std::is_base_of_v<mwauth::Error, mwauth::InternalError>, "one tree");

static void run_tests() {
  const std::string api = env("MWAUTH_TEST_API_URL");
  const std::string bot = env("MWAUTH_TEST_BOT_USER"), bot_password = env("MWAUTH_TEST_BOT_PASSWORD");
  const std::string plain = env("MWAUTH_TEST_PLAIN_USER"), plain_password = env("MWAUTH_TEST_PLAIN_PASSWORD");
  const std::string human = env("MWAUTH_TEST_HUMAN_USER"), human_password = env("MWAUTH_TEST_HUMAN_PASSWORD");

  CHECK(mwauth::version() == MWAUTH_VERSION, mwauth::version());
  CHECK(mwauth::json_quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"", mwauth::json_quote("a\"b\\c\n\x01"));

  // --- bot login, read, edit with csrf, logout --------------------------------------------
  try {
    mwauth::Session s(config(api, R"(, "assert": "bot")"));
    std::mutex lock;
    std::vector<std::pair<int, std::string>> lines;
    s.set_logger([&](int level, std::string_view message) {
      std::lock_guard<std::mutex> guard(lock);
      lines.emplace_back(level, std::string(message));
    });

    std::string out = s.login(bot, bot_password);
    CHECK(has(out, "\"status\":\"PASS\"") && has(out, "\"username\":\"MwBot\""), out);
    CHECK(!has(out, bot_password), "the login output holds the password");
    out = s.info();
    CHECK(has(out, "\"logged_in\":true") && has(out, "\"auth\":\"botpassword\""), out);
    out = s.request(R"({"params": {"action": "query", "meta": "userinfo", "uiprop": ["groups"]}})");
    CHECK(has(out, "\"name\":\"MwBot\"") && has(out, "\"bot\""), out);
    out = s.request(R"({"params": {"action": "edit", "title": "C++ test page", "text": "Written from C++.",
                                   "summary": "mwauth C++ test", "bot": true}, "token": "csrf"})");
    CHECK(has(out, "\"result\":\"Success\""), out);

    // Threads sharing the session.
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++)
      threads.emplace_back([&] {
        for (int i = 0; i < 3; i++) {
          try {
            if (has(s.request(kUserinfo), "\"name\":\"MwBot\"")) ok++;
          } catch (const mwauth::Error&) {
          }
        }
      });
    for (auto& t : threads) t.join();
    CHECK(ok == 12, std::to_string(ok) + " of 12 requests succeeded");

    CHECK(s.logout() == "{}");
    CHECK(has(s.info(), "\"logged_in\":false"), s.info());
    CHECK(has(s.request(kUserinfo), "\"anon\":true"));

    std::lock_guard<std::mutex> guard(lock);
    CHECK(lines.size() > 5, std::to_string(lines.size()) + " log lines");
    bool clean = true;
    for (auto& [level, message] : lines)
      if (level < 10 || level > 30 || has(message, bot_password)) clean = false;
    CHECK(clean, "a log line held the password or a bad level");
  } catch (const mwauth::Error& e) {
    check(false, "the bot's day", __LINE__, e.what());
  }

  // --- every error class ---------------------------------------------------------------
  EXPECT_THROW(mwauth::ArgumentError, mwauth::Session(config(api, R"(, "no_such_key": 1)")), [&](const auto& e) {
    CHECK(e.code() == "unknown_key" && e.result() == MW_ERR_ARGUMENT, e.json());
    CHECK(has(e.info(), "no_such_key"), e.info());
  });
  EXPECT_THROW(mwauth::ArgumentError, mwauth::Session("{not json"), [&](const auto& e) {
    CHECK(e.code() == "invalid_json", e.json());
  });
  {
    mwauth::Session s(config(api));
    EXPECT_THROW(mwauth::ArgumentError, s.request("{\"params\": {\"action\": \"query\""), [&](const auto& e) {
      CHECK(e.code() == "invalid_json", e.json());
      CHECK(has(e.json(), "\"error\""), e.json());
    });
    EXPECT_THROW(mwauth::ArgumentError, s.request(R"({"params": {"action": "query"}, "surprise": 1})"), [&](const auto& e) {
      CHECK(e.code() == "unknown_key", e.json());
    });
    EXPECT_THROW(mwauth::LoginError, s.login(bot, "wrong-password-0123456789abcdefgh"), [&](const auto& e) {
      CHECK(e.code() == "Failed" && e.result() == MW_ERR_LOGIN, e.json());
      CHECK(has(e.json(), "\"reason\":\"wrongpassword\""), e.json());
      CHECK(!has(e.json(), "wrong-password"), "the error holds the password");
    });
    EXPECT_THROW(mwauth::ApiError, s.request(R"({"params": {"action": "nosuchaction"}})"), [&](const auto& e) {
      CHECK(e.code() == "badvalue" && !e.info().empty(), e.json());
    });
    EXPECT_THROW(mwauth::StateError, s.clientlogin_step(R"({"OATHToken": "123456"})"), [&](const auto& e) {
      CHECK(e.code() == "no_flow" && e.result() == MW_ERR_STATE, e.json());
    });
    // Caught through the base class too, with what() as "code: info".
    try {
      s.request(R"({"params": {"action": "nosuchaction"}})");
      CHECK(false, "no exception");
    } catch (const mwauth::Error& e) {
      CHECK(std::string(e.what()).rfind("badvalue: ", 0) == 0, e.what());
    }
  }
  {
    mwauth::Session t(config(api, R"(, "assert": "bot")"));  // not a bot, asserting bot
    t.login(plain, plain_password);
    EXPECT_THROW(mwauth::ApiError, t.request(kUserinfo), [&](const auto& e) { CHECK(e.code() == "assertbotfailed", e.json()); });
  }
  {
    mwauth::Session s(config("http://127.0.0.1:" + std::to_string(closed_port()) + "/api.php", R"(, "timeout_ms": 5000)"));
    EXPECT_THROW(mwauth::TransportError, s.request(kUserinfo), [&](const auto& e) {
      CHECK(e.code() == "connect" && e.result() == MW_ERR_TRANSPORT, e.json());
    });
  }
  {
    std::string base = api.substr(0, api.rfind('/'));
    mwauth::Session s(config(base + "/load.php"));
    EXPECT_THROW(mwauth::HttpError, s.request(kUserinfo), [&](const auto& e) {
      CHECK(e.code() == "not_json" && e.result() == MW_ERR_HTTP, e.json());
    });
    mwauth::Session t(config(base + "/no-such-script.php"));
    EXPECT_THROW(mwauth::HttpError, t.request(kUserinfo), [&](const auto& e) {
      CHECK(e.code() == "http_status" && has(e.json(), "\"http_status\":404") && e.http_status() == 404, e.json());
    });
  }

  // --- clientlogin ----------------------------------------------------------------------
  try {
    auto s = mwauth::Session::open(api, "mwauth-cpp-test/1.0");
    std::string form = s.clientlogin_fields(R"({"messageformat": "none"})");
    CHECK(has(form, "\"password\":{") && has(form, "\"sensitive\":true"), form);
    std::string out = s.clientlogin("{\"username\": " + mwauth::json_quote(human) + ", \"password\": " +
                                    mwauth::json_quote(human_password) + "}");
    CHECK(has(out, "\"status\":\"PASS\""), out);
    CHECK(has(s.info(), "\"auth\":\"clientlogin\""), s.info());
    EXPECT_THROW(mwauth::LoginError, s.clientlogin("{\"username\": " + mwauth::json_quote(human) + ", \"password\": \"nope\"}"),
                 [&](const auto& e) {
                   CHECK(e.code() == "wrongpassword" && has(e.json(), "\"status\":\"FAIL\""), e.json());
                 });
  } catch (const mwauth::Error& e) {
    check(false, "clientlogin", __LINE__, e.what());
  }

  // --- AuthManager: create, link, unlink, remove; the errors of each ----------------------
  // The test runs more than once in one wiki (plain, ASan, valgrind): its names carry a tag.
  try {
    const std::string captcha = env("MWAUTH_TEST_CAPTCHA_ANSWER"), idp_key = env("MWAUTH_TEST_IDP_KEY");
    const std::string tag = std::to_string(getpid()) + std::to_string(std::time(nullptr) % 100000);
    const std::string name = "MwCppNew" + tag, password = "cpp test password " + tag;
    const std::string identity = "cpp-link-" + tag;
    const std::string create = R"({"purpose": "create", "fields": {"username": )" + mwauth::json_quote(name) +
                               ", \"password\": " + mwauth::json_quote(password) + ", \"retype\": " +
                               mwauth::json_quote(password) + ", \"captchaWord\": " + mwauth::json_quote(captcha) + "}}";

    auto s = mwauth::Session::open(api, "mwauth-cpp-test/1.0");
    // Refused before any request: the state, and requests that do not fit their purpose.
    EXPECT_THROW(mwauth::StateError, s.auth_continue("{}"), [&](const auto& e) {
      CHECK(e.code() == "no_flow" && e.result() == MW_ERR_STATE, e.json());
    });
    EXPECT_THROW(mwauth::StateError, s.auth_fields(R"({"purpose": "link"})"), [&](const auto& e) {
      CHECK(e.code() == "not_logged_in", e.json());
    });
    EXPECT_THROW(mwauth::StateError, s.auth_begin(R"({"purpose": "unlink", "request": "x"})"), [&](const auto& e) {
      CHECK(e.code() == "not_logged_in", e.json());
    });
    EXPECT_THROW(mwauth::ArgumentError, s.auth_fields(R"({"purpose": "nope"})"), [&](const auto& e) {
      CHECK(e.code() == "invalid_value" && has(e.info(), "purpose"), e.json());
    });
    EXPECT_THROW(mwauth::ArgumentError, s.auth_begin(R"({"purpose": "link", "preservestate": true})"), [&](const auto& e) {
      CHECK(e.code() == "invalid_value", e.json());
    });
    EXPECT_THROW(mwauth::ArgumentError, s.auth_begin(R"({"purpose": "change", "fields": {"password": "x"}})"), [&](const auto& e) {
      CHECK(e.code() == "invalid_value" && has(e.info(), "request"), e.json());
    });

    // Create, with the captcha the form asks (its hidden captchaId echoed by the library).
    std::string form = s.auth_fields(R"({"purpose": "create", "messageformat": "none"})");
    CHECK(has(form, "\"captchaId\":{\"type\":\"hidden\",\"value\":\"") && has(form, "\"captchaWord\":{"), form);
    CHECK(has(form, "\"canpreservestate\":false"), form);
    std::string out = s.auth_begin(create);
    CHECK(has(out, "\"status\":\"PASS\"") && has(out, "\"username\":" + mwauth::json_quote(name)), out);
    CHECK(has(s.info(), "\"logged_in\":false"), "a create does not log in: " + s.info());
    EXPECT_THROW(mwauth::StateError, s.auth_continue("{}"), [&](const auto& e) { CHECK(e.code() == "no_flow", e.json()); });

    // The same name again: FAIL, a LoginError carrying the form to ask again.
    s.auth_fields(R"({"purpose": "create"})");
    EXPECT_THROW(mwauth::LoginError, s.auth_begin(create), [&](const auto& e) {
      CHECK(e.code() == "userexists" && e.result() == MW_ERR_LOGIN, e.json());
      CHECK(has(e.json(), "\"status\":\"FAIL\"") && has(e.json(), "\"captchaId\":{"), e.json());
      CHECK(!has(e.json(), password) && !has(e.what(), password), "the error holds the password");
    });
    try {  // through the base class, what() is "code: info"
      s.auth_begin(create);
      CHECK(false, "no exception");
    } catch (const mwauth::Error& e) {
      CHECK(std::string(e.what()).rfind("userexists: ", 0) == 0, e.what());
    }

    // Log in as the new account; link an identity (REDIRECT, continue), unlink it.
    auto t = mwauth::Session::open(api, "mwauth-cpp-test/1.0");
    t.clientlogin("{\"username\": " + mwauth::json_quote(name) + ", \"password\": " + mwauth::json_quote(password) + "}");
    CHECK(has(t.auth_fields(R"({"purpose": "link"})"), "\"mwauthtestLink\":{"), "the link form");
    out = t.auth_begin(R"({"purpose": "link", "fields": {"mwauthtestLink": true}})");
    CHECK(has(out, "\"status\":\"REDIRECT\""), out);
    std::string state;
    if (auto at = out.find("?state="); at != std::string::npos) state = out.substr(at + 7, out.find('&', at) - at - 7);
    CHECK(!state.empty(), out);
    CHECK(has(out, "\"mwauthtestState\":{\"type\":\"hidden\",\"value\":" + mwauth::json_quote(state)), out);
    // Only the code: the library sends the step's hidden field (the state) back itself.
    out = t.auth_continue("{\"mwauthtestCode\": " + mwauth::json_quote(idp_key + ":" + identity) + "}");
    CHECK(has(out, "\"status\":\"PASS\""), out);
    // The request id, as JSON text (its backslashes escaped), from the unlink form.
    std::string unlink_form = t.auth_fields(R"({"purpose": "unlink"})"), id;
    std::string suffix = "IdentityAuthenticationRequest:" + identity + "\"";
    if (auto end = unlink_form.find(suffix); end != std::string::npos) {
      auto start = unlink_form.rfind("\"id\":\"", end) + 6;
      id = unlink_form.substr(start, end + suffix.size() - 1 - start);
    }
    CHECK(!id.empty(), unlink_form);
    const std::string unlink = R"({"purpose": "unlink", "request": ")" + id + "\"}";
    CHECK(has(t.auth_begin(unlink), "\"status\":\"success\""), unlink);
    EXPECT_THROW(mwauth::ApiError, t.auth_begin(unlink), [&](const auto& e) {
      CHECK(e.code() == "badrequest" && e.result() == MW_ERR_API, e.json());
    });
    EXPECT_THROW(mwauth::ApiError, t.auth_begin(R"({"purpose": "remove", "request": "MediaWiki\\Auth\\PasswordAuthenticationRequest"})"),
                 [&](const auto& e) { CHECK(e.code() == "badrequest", e.json()); });
    EXPECT_THROW(mwauth::ApiError,
                 t.auth_begin(R"({"purpose": "change", "request": "MediaWiki\\Auth\\PasswordAuthenticationRequest",
                                  "fields": {"password": "cpp one", "retype": "cpp two"}})"),
                 [&](const auto& e) { CHECK(e.code() == "badretype", e.json()); });
    CHECK(has(t.request(kUserinfo), "\"name\":" + mwauth::json_quote(name)), "still logged in");
  } catch (const mwauth::Error& e) {
    check(false, "AuthManager", __LINE__, e.what() + std::string(" ") + e.json());
  }

  // --- move semantics -------------------------------------------------------------------
  try {
    mwauth::Session a(config(api));
    a.login(bot, bot_password);
    mwauth::Session b(std::move(a));
    CHECK(!a && b, "the handle moved");
    CHECK(has(b.request(kUserinfo), "\"name\":\"MwBot\""), "the login moved along");
    EXPECT_THROW(mwauth::ArgumentError, a.request(kUserinfo), [&](const auto& e) {
      CHECK(e.code() == "null_argument", e.json());
    });
    mwauth::Session c(config(api));
    c = std::move(b);  // c's own session is freed, b's taken over
    CHECK(!b && c);
    CHECK(has(c.request(kUserinfo), "\"name\":\"MwBot\""));
    mwauth::Session& same = c;
    c = std::move(same);  // self-move leaves it usable
    CHECK(has(c.info(), "\"logged_in\":true"), c.info());

    // Moves keep the logger working (its state lives on the heap, not in the Session object).
    std::atomic<int> logged{0};
    c.set_logger([&](int, std::string_view) { logged++; });
    std::vector<mwauth::Session> sessions;
    sessions.push_back(std::move(c));
    for (int i = 0; i < 8; i++) sessions.push_back(mwauth::Session::open(api));  // reallocations move it
    sessions.front().request(kUserinfo);
    CHECK(logged > 0, "the logger survived the moves");
    sessions.front().set_logger(nullptr);
    int before = logged;
    sessions.front().request(kUserinfo);
    CHECK(logged == before, "logger off");
    // A logger that throws does not break the call.
    sessions.front().set_logger([](int, std::string_view) { throw std::runtime_error("x"); });
    CHECK(has(sessions.front().request(kUserinfo), "\"name\":\"MwBot\""));
  } catch (const mwauth::Error& e) {
    check(false, "moves", __LINE__, e.what());
  }

  // The asynchronous calls, as futures: many in flight on one session, a refusal thrown at
  // once, and a Session destroyed with calls pending settles every future.
  try {
    mwauth::Session s(config(api));
    s.login_async(bot, bot_password).get();
    std::vector<std::future<std::string>> answers;
    for (int i = 0; i < 32; i++) answers.push_back(s.request_async(kUserinfo));
    int right = 0;
    for (auto& answer : answers) right += has(answer.get(), "\"name\":\"MwBot\"");
    CHECK(right == 32, std::to_string(right) + " of 32");
    EXPECT_THROW(mwauth::ArgumentError, s.request_async("{\"params\": "), [&](const auto& e) {
      CHECK(e.code() == "invalid_json", e.json());
    });
    auto missing = s.rest_async("{\"path\": \"/v1/page/No_such_page_async\"}");
    EXPECT_THROW(mwauth::HttpError, missing.get(), [&](const auto& e) {
      CHECK(e.http_status() == 404, e.json());
    });
    std::vector<std::future<std::string>> pending;
    {
      mwauth::Session doomed(config(api));
      for (int i = 0; i < 32; i++) pending.push_back(doomed.request_async(kUserinfo));
    }  // waits for the calls in flight; the others end as "closed"
    int settled = 0, closed = 0;
    for (auto& p : pending) {
      if (p.wait_for(std::chrono::seconds(0)) == std::future_status::ready) settled++;
      try {
        p.get();
      } catch (const mwauth::StateError& e) {
        closed += e.code() == "closed";
      }
    }
    CHECK(settled == 32, std::to_string(settled) + " of 32 settled when the Session went");
    CHECK(closed > 0, "some never started");
  } catch (const mwauth::Error& e) {
    check(false, "async", __LINE__, e.what());
  }

}

int main() {
  try {
    run_tests();
  } catch (const std::exception& e) {  // a call outside the checks above failed
    check(false, "an unexpected exception", __LINE__, e.what());
  }
  std::cout << "session_test: " << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
