// What tests/cpp's test programs share: counted checks, expected exceptions, small helpers.
// Each program is one translation unit that includes this once, and ends with
// "NAME: N passed, N failed".
#ifndef MWAUTH_CPP_TEST_CHECK_HPP
#define MWAUTH_CPP_TEST_CHECK_HPP

#include <mwauth.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

namespace {

int passed = 0, failed = 0;

inline void check(bool ok, const char* what, int line, const std::string& detail = {}) {
  if (ok) {
    passed++;
  } else {
    failed++;
    std::cerr << "FAIL " << __BASE_FILE__ << ":" << line << ": " << what;
    if (!detail.empty()) std::cerr << ": " << detail;
    std::cerr << "\n";
  }
}
#define CHECK(cond, ...) check((cond), #cond, __LINE__, ##__VA_ARGS__)

// Runs `body`, which must throw E; then `inspect(e)`. Anything else is a failure.
template <typename E, typename Body, typename Inspect>
void expect_throw(const char* what, int line, Body body, Inspect inspect) {
  try {
    body();
    check(false, what, line, "no exception");
  } catch (const E& e) {
    passed++;
    inspect(e);
  } catch (const std::exception& e) {
    check(false, what, line, std::string("another exception: ") + e.what());
  }
}
#define EXPECT_THROW(E, body, inspect) expect_throw<E>(#E " from " #body, __LINE__, [&] { body; }, inspect)

inline bool has(const std::string& json, const std::string& needle) { return json.find(needle) != std::string::npos; }

// How often `needle` occurs in `text` (not overlapping).
inline int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) n++;
  return n;
}

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    std::cerr << name << " is not set: run this through tests/wiki/with-wiki.sh (tests/cpp/run.sh does not start it)\n";
    std::exit(2);
  }
  return v;
}

inline std::string config(const std::string& api, const std::string& extra = {}) {
  return "{\"api_url\": " + mwauth::json_quote(api) + ", \"user_agent\": \"mwauth-cpp-test/1.0\"" + extra + "}";
}

const std::string kUserinfo = R"({"params": {"action": "query", "meta": "userinfo"}})";

}  // namespace

#endif  // MWAUTH_CPP_TEST_CHECK_HPP
