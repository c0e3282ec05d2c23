// botlogin: log a bot in with a bot password, print who the wiki says it is, log out.
//
//   botlogin [API_URL USERNAME PASSWORD]
//
// Without arguments it reads MWAUTH_API_URL, MWAUTH_USERNAME ("User@appid") and MWAUTH_PASSWORD.
// Build (from the repository root, after `make release`; tests/cpp/run.sh does it):
//   g++ -std=c++17 -Iinclude -Ibindings/cpp -o botlogin bindings/cpp/examples/botlogin.cpp
//       -Ltarget/release -Wl,-rpath,$PWD/target/release -lmwauth
#include <mwauth.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
  const char* api = argc > 3 ? argv[1] : std::getenv("MWAUTH_API_URL");
  const char* user = argc > 3 ? argv[2] : std::getenv("MWAUTH_USERNAME");
  const char* password = argc > 3 ? argv[3] : std::getenv("MWAUTH_PASSWORD");
  if (api == nullptr || user == nullptr || password == nullptr) {
    std::cerr << "usage: " << argv[0] << " API_URL USERNAME PASSWORD\n"
              << "   or: set MWAUTH_API_URL, MWAUTH_USERNAME and MWAUTH_PASSWORD\n";
    return 2;
  }
  try {
    auto session = mwauth::Session::open(api, "botlogin-example/1.0 (C++)");
    std::cout << "mwauth " << mwauth::version() << ", login: " << session.login(user, password) << "\n";
    std::cout << "userinfo: "
              << session.request(R"({"params": {"action": "query", "meta": "userinfo", "uiprop": ["groups", "rights"]}})")
              << "\n";
    std::cout << "logout: " << session.logout() << "\n";
  } catch (const mwauth::LoginError& e) {
    std::cerr << "login refused: " << e.what() << "\n" << e.json() << "\n";
    return 1;
  } catch (const mwauth::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
