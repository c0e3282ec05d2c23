// mwauth.hpp - a header-only C++17 wrapper of the mwauth C ABI (include/mwauth.h).
//
//   #include <mwauth.hpp>
//
//   mwauth::Session s(R"({"api_url": "https://wiki.example.org/w/api.php",
//                         "user_agent": "MyBot/1.0 (me@example.org)"})");
//   s.login("MyUser@mybot", "0123456789abcdefghijklmnopqrstuv");       // JSON text out
//   std::string me = s.request(R"({"params": {"action": "query", "meta": "userinfo"}})");
//   s.request(R"({"params": {"action": "edit", "title": "T", "text": "x"}, "token": "csrf"})");
//   s.upload(R"({"filename": "Photo.jpg", "path": "/tmp/photo.jpg", "comment": "new photo"})");
//   s.rest(R"({"path": "/v1/page/Main_Page"})");                        // {"status", "body"}
//   s.request_all(R"({"params": {"action": "query", "list": "allpages", "aplimit": 500}})",
//                 [](const std::string& batch) { /* one answer; return false to stop */ });
//
// Inputs and outputs are JSON texts in std::string, exactly as the C ABI takes and gives them
// (parse them with the JSON library of your choice; mwauth::json_quote() builds string values).
// A failed call throws the subclass of mwauth::Error for its mw_result, carrying the error's
// code(), info(), result() and the call's whole output json().
//
// Ownership: mwauth::Session owns its mw_session and frees it in its destructor; it is
// move-only. Every string the library returns is copied into a std::string and released with
// mw_string_free at once. A moved-from Session holds no handle: calls on it throw
// ArgumentError ("null_argument", from the library itself).
//
// Threads: as in the C ABI, one Session may be used from many threads at once (requests run
// concurrently), except that destroying or assigning to it must not race with any other call.
//
// Build: g++ -std=c++17 -I include -I bindings/cpp prog.cpp -L target/release -lmwauth
#ifndef MWAUTH_HPP
#define MWAUTH_HPP

#include <mwauth.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mwauth {

namespace detail {
inline long http_status_of(std::string_view json);  // error.http_status, or 0
}  // namespace detail

// ---- errors -------------------------------------------------------------------------------

/// Any failure the library reports. what() is "code: info".
class Error : public std::runtime_error {
 public:
  Error(mw_result result, std::string code, std::string info, std::string json)
      : std::runtime_error(code + ": " + info),
        result_(result),
        code_(std::move(code)),
        info_(std::move(info)),
        json_(std::move(json)),
        http_status_(detail::http_status_of(json_)) {}

  /// The mw_result of the failed call.
  mw_result result() const noexcept { return result_; }
  /// The error's machine-readable code: the library's own ("invalid_json", "connect", ...) or
  /// the wiki's ("badtoken", "Failed", "wrongpassword", ...).
  const std::string& code() const noexcept { return code_; }
  /// The error's sentence for people.
  const std::string& info() const noexcept { return info_; }
  /// The call's whole output, a JSON object with an "error" member (for a FAIL of clientlogin
  /// or auth_begin/auth_continue also "status", "messagecode" and the form to ask again; for
  /// a REST error status the wiki's whole error body as the error's "body").
  const std::string& json() const noexcept { return json_; }
  /// The error's "http_status" (404, 503, ...) where the library gave one (HttpError, and
  /// TransportError or ApiError where an HTTP status was known), else 0.
  long http_status() const noexcept { return http_status_; }

 private:
  mw_result result_;
  std::string code_;
  std::string info_;
  std::string json_;
  long http_status_;
};

/// MW_ERR_ARGUMENT: unusable input (bad JSON, a missing, ill-typed or unknown field or config
/// key, credentials over plain http: "insecure_http", a moved-from Session: "null_argument").
class ArgumentError : public Error { using Error::Error; };
/// MW_ERR_STATE: the call does not fit the session's state ("no_flow": nothing to continue;
/// "not_logged_in": link, change, remove or unlink without a login; ...).
class StateError : public Error { using Error::Error; };
/// MW_ERR_TRANSPORT: no HTTP answer ("dns", "connect", "timeout", "tls", "io").
class TransportError : public Error { using Error::Error; };
/// MW_ERR_HTTP: an HTTP answer that is not an API response ("http_status", "not_json", "too_large").
class HttpError : public Error { using Error::Error; };
/// MW_ERR_API: the API answered with an error; json() holds MediaWiki's error object (also a
/// refused change, remove or unlink: "badrequest", "badretype", ...).
class ApiError : public Error { using Error::Error; };
/// MW_ERR_LOGIN: the wiki refused a login (action=login's result, or clientlogin FAIL/RESTART),
/// or an AuthManager operation answered FAIL or RESTART (a taken name: "userexists").
class LoginError : public Error { using Error::Error; };
/// MW_ERR_INTERNAL: a bug in the library ("panic", "poisoned").
class InternalError : public Error { using Error::Error; };

/// Quotes `s` as a JSON string literal (with its quotes), for building input JSON texts.
inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

/// The library's version at run time, "MAJOR.MINOR.PATCH" (MWAUTH_VERSION is the header's).
inline std::string version() { return mw_version(); }

namespace detail {

// Just enough JSON reading to take "code" and "info" out of an error object, and to split an
// object into its members (request_all's continuation): the library speaks JSON only, and this
// header depends on nothing but the C ABI. It reads any valid JSON (and is lax about numbers
// and literals, which the library checks itself).
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  // Finds error.code, error.info, error.http_status and (mw_session_new's) result in the
  // top-level object; false if the text is not as expected.
  bool read(std::string& code, std::string& info, long* result = nullptr, long* http_status = nullptr) {
    if (!object([&](const std::string& key) {
          if (key == "result" && result != nullptr) return number(*result);
          if (key != "error") return skip_value();
          return object([&](const std::string& inner) {
            if (inner == "code") return string(code);
            if (inner == "info") return string(info);
            if (inner == "http_status" && http_status != nullptr) return number(*http_status);
            return skip_value();
          });
        }))
      return false;
    space();
    return i_ == s_.size();
  }

  // One member of an object: its name decoded, and the name and the value as the text has them.
  struct Member {
    std::string name;
    std::string_view raw_name, raw_value;
  };

  // The members of the object that is the whole text, in order; false if it is not one.
  bool members(std::vector<Member>& out) {
    out.clear();
    if (!object([&](const std::string& key) {
          Member m;
          m.name = key;
          m.raw_name = name_;
          space();
          std::size_t start = i_;
          if (!skip_value()) return false;
          m.raw_value = s_.substr(start, i_ - start);
          out.push_back(std::move(m));
          return true;
        }))
      return false;
    space();
    return i_ == s_.size();
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  std::string_view name_;  // the last member name read, quotes included
  int depth_ = 0;          // nesting, bounded: request texts come from the caller
  static constexpr int kMaxDepth = 256;

  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) i_++;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      i_++;
      return true;
    }
    return false;
  }
  template <typename F>
  bool object(F member) {
    if (!eat('{') || ++depth_ > kMaxDepth) return false;
    if (eat('}')) return --depth_, true;
    do {
      std::string key;
      space();
      std::size_t start = i_;
      if (!string(key)) return false;
      name_ = s_.substr(start, i_ - start);
      if (!eat(':') || !member(key)) return false;
    } while (eat(','));
    depth_--;
    return eat('}');
  }
  static void utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool hex4(std::uint32_t& v) {
    if (i_ + 4 > s_.size()) return false;
    v = 0;
    for (int k = 0; k < 4; k++) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  bool string(std::string& out) {
    space();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    i_++;
    out.clear();
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
            std::size_t back = i_;
            i_ += 2;
            std::uint32_t low;
            if (hex4(low) && low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              i_ = back;
            }
          }
          utf8(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool number(long& out) {
    space();
    std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') i_++;
    long v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && v < 1000000) v = v * 10 + (s_[i_++] - '0');
    if (i_ == start || (s_[start] == '-' && i_ == start + 1)) return false;
    out = s_[start] == '-' ? -v : v;
    return true;
  }
  bool skip_value() {
    space();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '"') {
      std::string ignored;
      return string(ignored);
    }
    if (c == '{') return object([&](const std::string&) { return skip_value(); });
    if (c == '[') {
      i_++;
      if (++depth_ > kMaxDepth) return false;
      if (eat(']')) return --depth_, true;
      do {
        if (!skip_value()) return false;
      } while (eat(','));
      depth_--;
      return eat(']');
    }
    // number, true, false, null
    std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
           s_[i_] != '\n' && s_[i_] != '\r' && s_[i_] != '\t')
      i_++;
    return i_ > start;
  }
};

/// The output string, copied and released with mw_string_free (also if copying throws).
inline std::string take(char* text) {
  std::unique_ptr<char, void (*)(char*)> owned(text, mw_string_free);
  return owned ? std::string(owned.get()) : std::string();
}

[[noreturn]] inline void throw_error(mw_result result, std::string json) {
  std::string code = "unknown", info = "the library returned no error object";
  Reader(json).read(code, info);
  switch (result) {
    case MW_ERR_ARGUMENT: throw ArgumentError(result, std::move(code), std::move(info), std::move(json));
    case MW_ERR_STATE: throw StateError(result, std::move(code), std::move(info), std::move(json));
    case MW_ERR_TRANSPORT: throw TransportError(result, std::move(code), std::move(info), std::move(json));
    case MW_ERR_HTTP: throw HttpError(result, std::move(code), std::move(info), std::move(json));
    case MW_ERR_API: throw ApiError(result, std::move(code), std::move(info), std::move(json));
    case MW_ERR_LOGIN: throw LoginError(result, std::move(code), std::move(info), std::move(json));
    case MW_ERR_INTERNAL: throw InternalError(result, std::move(code), std::move(info), std::move(json));
    default: throw Error(result, std::move(code), std::move(info), std::move(json));
  }
}

/// Runs `call(&out)`; returns the output, or throws the error it describes.
template <typename Call>
std::string checked(Call call) {
  char* out = nullptr;
  mw_result result = call(&out);
  std::string json = take(out);
  if (result != MW_OK) throw_error(result, std::move(json));
  return json;
}

/// The exception throw_error() would throw, as an exception_ptr (for a promise).
inline std::exception_ptr error_ptr(mw_result result, std::string json) {
  try {
    throw_error(result, std::move(json));
  } catch (...) {
    return std::current_exception();
  }
}

/// The done callback of every *_async call: `userdata` is the promise, which it now owns.
inline void settle(void* userdata, mw_result result, char* out_json) noexcept {
  std::unique_ptr<std::promise<std::string>> promise(static_cast<std::promise<std::string>*>(userdata));
  try {
    std::string json = take(out_json);
    if (result == MW_OK) {
      promise->set_value(std::move(json));
    } else {
      promise->set_exception(error_ptr(result, std::move(json)));
    }
  } catch (...) {  // out of memory copying the output: the caller gets that instead
    try {
      promise->set_exception(std::current_exception());
    } catch (...) {
    }
  }
}

/// Starts `start(done, userdata)` (an *_async call); a refusal throws at once, from
/// mw_async_error(). The promise goes to the done callback, which may run before this returns.
template <typename Start>
std::future<std::string> start_async(Start start) {
  auto promise = std::make_unique<std::promise<std::string>>();
  std::future<std::string> future = promise->get_future();
  mw_result result = start(&settle, static_cast<void*>(promise.get()));
  if (result != MW_OK) throw_error(result, take(mw_async_error()));  // done never runs
  promise.release();  // settle() owns it now
  return future;
}

/// An ArgumentError of this wrapper's own, shaped as the library's: {"error": {"code", "info"}}.
[[noreturn]] inline void throw_argument(const std::string& code, const std::string& info) {
  throw ArgumentError(MW_ERR_ARGUMENT, code, info,
                      "{\"error\": {\"code\": " + json_quote(code) + ", \"info\": " + json_quote(info) + "}}");
}

/// The last member named `name`, or nullptr (the library, as serde_json, takes the last of
/// duplicate names).
inline const Reader::Member* find(const std::vector<Reader::Member>& members, std::string_view name) {
  const Reader::Member* found = nullptr;
  for (const auto& m : members)
    if (m.name == name) found = &m;
  return found;
}

/// `{members...}` from raw names and values.
inline std::string object_text(const std::vector<std::pair<std::string_view, std::string>>& members) {
  std::string out = "{";
  for (const auto& [name, value] : members) {
    if (out.size() > 1) out += ", ";
    out.append(name.data(), name.size());
    out += ": ";
    out += value;
  }
  return out + "}";
}

}  // namespace detail

inline long detail::http_status_of(std::string_view json) {
  std::string code, info;
  long status = 0;
  Reader(json).read(code, info, nullptr, &status);
  return status;
}

// ---- the session ----------------------------------------------------------------------------

/// A session with one wiki: its cookies, tokens and login (an owned mw_session).
class Session {
 public:
  /// A log callback: level 10 (each HTTP exchange), 20 (retries, waits, re-logins) or 30
  /// (dropped sessions, refused credentials). It may run on several threads at once, must not
  /// call back into the same Session, and should not throw (exceptions are swallowed).
  using Logger = std::function<void(int level, std::string_view message)>;

  /// Creates a session from a JSON config object (only "api_url" is required; see docs/abi.md).
  /// Throws the Error the library reports, usually ArgumentError.
  explicit Session(const std::string& config_json) {
    char* error = nullptr;
    session_ = mw_session_new(config_json.c_str(), &error);
    std::string json = detail::take(error);
    if (session_ == nullptr) {
      // {"error": {...}, "result": N}: the result is in the JSON, not a return value.
      mw_result result = result_of(json);
      detail::throw_error(result, std::move(json));
    }
  }

  /// A session for `api_url` with the default config (and `user_agent` if not empty).
  static Session open(std::string_view api_url, std::string_view user_agent = {}) {
    std::string config = "{\"api_url\": " + json_quote(api_url);
    if (!user_agent.empty()) config += ", \"user_agent\": " + json_quote(user_agent);
    return Session(config + "}");
  }

  ~Session() { reset(); }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Session(Session&& other) noexcept
      : session_(std::exchange(other.session_, nullptr)),
        loggers_(std::move(other.loggers_)) {}

  Session& operator=(Session&& other) noexcept {
    if (this != &other) {
      reset();
      session_ = std::exchange(other.session_, nullptr);
      loggers_ = std::move(other.loggers_);
    }
    return *this;
  }

  /// Whether this Session holds a handle (false once moved from).
  explicit operator bool() const noexcept { return session_ != nullptr; }
  /// The handle, for calls this wrapper does not cover; still owned by the Session.
  mw_session* get() const noexcept { return session_; }

  /// Logs in with a bot password (action=login). Out: {"status": "PASS", "username", "userid", ...}.
  /// LoginError when refused: code() is MediaWiki's result ("Failed"), json() holds "reason".
  std::string login(std::string_view username, std::string_view password) {
    std::string credentials = "{\"username\": " + json_quote(username) + ", \"password\": " + json_quote(password) + "}";
    return login_json(credentials);
  }
  /// mw_login with the credentials as a JSON text: {"username": ..., "password": ...}.
  std::string login_json(const std::string& credentials_json) {
    return detail::checked([&](char** out) { return mw_login(session_, credentials_json.c_str(), out); });
  }

  /// Any Action API call (mw_request): {"params": {...}, "method"?, "token"?, "token_param"?,
  /// "files"?, "continue"?, "max_batches"?}. Out: the API's response. ApiError for the API's
  /// errors.
  ///
  /// "files": {"PARAM": {"path": "/local/file"} or {"data_base64": "..."}, each with optional
  /// "filename" and "content_type"} sends a multipart/form-data POST, the file streamed from
  /// disk; a path that is not a readable regular file, or files with "method": "GET", is
  /// ArgumentError ("invalid_value") before any request. "continue": true follows MediaWiki's
  /// continue protocol inside the library and returns {"batches": [answer, ...]}, at most
  /// "max_batches" (default 50) of them, all held in memory; request_all() hands over one
  /// batch at a time instead.
  std::string request(const std::string& request_json) {
    return detail::checked([&](char** out) { return mw_request(session_, request_json.c_str(), out); });
  }

  /// Follows MediaWiki's continue protocol one batch at a time: sends `request_json` (as for
  /// request(), without "continue" or "files"), calls `on_batch(answer)` with the API's answer,
  /// and, while the answer has a "continue" object, sends the request again with that object's
  /// members in "params" (replacing the previous answer's), as "continue": true does inside the
  /// library. Only one answer is held at a time.
  ///
  ///   s.request_all(R"({"params": {"action": "query", "list": "allpages", "aplimit": 500}})",
  ///                 [&](const std::string& answer) { titles_from(answer); });
  ///
  /// `on_batch` takes a const std::string& and returns void, or bool: false stops after that
  /// batch. "max_batches": N in `request_json` stops after N batches (without it, no limit);
  /// the last answer then keeps the "continue" to resume from (pass its members in "params").
  /// Returns how many batches were handed over.
  ///
  /// Throws what request() throws, for any batch (the batches before it were handed over
  /// already), and whatever `on_batch` throws (no further request is made). ArgumentError
  /// ("invalid_value") before any request for "continue" or "files" in `request_json`, or
  /// ("invalid_json") for a text that is not a JSON object.
  template <typename OnBatch>
  std::size_t request_all(const std::string& request_json, OnBatch&& on_batch) {
    using Returned = std::invoke_result_t<OnBatch&, const std::string&>;
    static_assert(std::is_void_v<Returned> || std::is_convertible_v<Returned, bool>,
                  "on_batch returns void or bool");
    std::vector<detail::Reader::Member> top;
    if (!detail::Reader(request_json).members(top))
      detail::throw_argument("invalid_json", "request_all: the request is not a JSON object");
    if (detail::find(top, "continue") != nullptr)
      detail::throw_argument("invalid_value", "request_all follows \"continue\" itself: leave request.continue out");
    if (detail::find(top, "files") != nullptr)
      detail::throw_argument("invalid_value", "request_all: request.files does not go with continuation");
    // The limit; the library checks the value (a positive integer) with the first request.
    std::size_t max_batches = 0;
    if (const auto* max = detail::find(top, "max_batches")) {
      for (char c : max->raw_value) {
        if (c < '0' || c > '9') break;
        max_batches = max_batches > 100000000 ? max_batches : max_batches * 10 + static_cast<std::size_t>(c - '0');
      }
    }

    std::string text = request_json;
    std::vector<Param> params;           // what the last request sent, read once it went well
    bool params_read = false;
    std::vector<std::string> continued;  // the names the last answer's "continue" set
    std::size_t batches = 0;
    for (;;) {
      std::string answer = request(text);
      batches++;
      // The next request, from this answer's "continue" (made before on_batch sees the answer).
      std::string next;
      std::vector<detail::Reader::Member> members, more;
      const detail::Reader::Member* more_member = nullptr;
      if ((max_batches == 0 || batches < max_batches) && detail::Reader(answer).members(members) &&
          (more_member = detail::find(members, "continue")) != nullptr &&
          detail::Reader(more_member->raw_value).members(more) && !more.empty()) {
        if (!params_read) {
          // The library took the request, so "params" is an object.
          std::vector<detail::Reader::Member> given;
          const auto* p = detail::find(top, "params");
          if (p != nullptr) detail::Reader(p->raw_value).members(given);
          for (const auto& g : given) params.push_back({g.name, std::string(g.raw_name), std::string(g.raw_value)});
          params_read = true;
        }
        // As the library does: the last answer's names and this one's out, this one's in.
        auto replaced = [&](const Param& param) {
          for (const auto& c : continued)
            if (c == param.name) return true;
          return detail::find(more, param.name) != nullptr;
        };
        std::vector<Param> kept;
        for (auto& param : params)
          if (!replaced(param)) kept.push_back(std::move(param));
        params = std::move(kept);
        continued.clear();
        for (const auto& m : more) {
          std::string value(m.raw_value);
          // MediaWiki's values are strings; anything else goes as its JSON text, as a string.
          if (value.front() != '"') value = json_quote(value);
          params.push_back({m.name, std::string(m.raw_name), std::move(value)});
          continued.push_back(m.name);
        }
        next = with_params(top, params);
      }
      if constexpr (std::is_void_v<Returned>) {
        on_batch(static_cast<const std::string&>(answer));
      } else {
        if (!static_cast<bool>(on_batch(static_cast<const std::string&>(answer)))) return batches;
      }
      if (next.empty()) return batches;
      text = std::move(next);
    }
  }

  /// Uploads a file (mw_upload): {"filename": "Target.png", "path": "/local/file.png",
  /// "text"?, "comment"?, "ignorewarnings"?: false, "chunk_bytes"?: 1048576}. A file of up to
  /// chunk_bytes goes in one request, a larger one in MediaWiki's chunked upload (through the
  /// upload stash, then published), streamed from disk either way; each request carries a csrf
  /// token and is retried as configured; the logger gets one info line per chunk.
  ///
  /// Out: MediaWiki's final "upload" object: "result" "Success" (with "filename", "imageinfo")
  /// or "Warning" (with "warnings", e.g. {"duplicate": [...]} or {"exists": ...}, and a
  /// "filekey" where the wiki stashed the file: request() with action=upload, that filekey,
  /// "ignorewarnings": true and "token": "csrf" publishes it). A warning ends the upload.
  ///
  /// ArgumentError before any request for a path that is not a readable, non-empty regular
  /// file ("invalid_value"), and, after the wiki's siteinfo, for chunk_bytes below its
  /// minuploadchunksize; ApiError for the wiki's refusals ("permissiondenied",
  /// "filetype-banned", "verification-error", ...).
  std::string upload(const std::string& request_json) {
    return detail::checked([&](char** out) { return mw_upload(session_, request_json.c_str(), out); });
  }

  /// One call of MediaWiki's REST API (mw_rest; rest.php beside api.php unless the config's
  /// "rest_url" says where): {"method"?: "GET"|"POST"|"PUT"|"PATCH"|"DELETE", "path":
  /// "/v1/page/Main_Page", "query"?: {...}, "body"?: <JSON>}. "path" is sent as given
  /// (percent-encode a title's "/" as %2F). A write from a cookie session carries the csrf
  /// token as the body object's "token" (added unless there is one); an OAuth session sends
  /// none. The REST API has no assert: a session the wiki dropped reads as anonymous.
  ///
  /// Out (a 2xx answer): {"status": 200, "body": <the JSON answer, or its text as a string>}.
  /// Any other status throws HttpError: http_status() is the status, code() the wiki's
  /// errorKey (1.43: "rest-nonexistent-title", "rest-badtoken", ...) or "http_status" when the
  /// body names none, info() its message, and json() has the whole error body under "error"'s
  /// "body". ArgumentError before any request for a bad request ("invalid_value": a body with
  /// GET, a write body that is not an object, ...).
  std::string rest(const std::string& request_json) {
    return detail::checked([&](char** out) { return mw_rest(session_, request_json.c_str(), out); });
  }

  /// The asynchronous calls: each returns at once a std::future of what the synchronous call
  /// of the same name returns (get() gives its output or throws its exception). The call runs
  /// on the library's own thread pool (8 threads, MWAUTH_ASYNC_THREADS), so many can be in
  /// flight without a thread each. A bad argument throws ArgumentError at once, before any
  /// request. Destroying the Session waits for its calls in flight; those not yet started end
  /// with StateError ("closed"). Do not destroy the Session from a thread that one of its
  /// futures' continuations must run on.
  std::future<std::string> request_async(const std::string& request_json) {
    return detail::start_async([&](mw_done_fn done, void* userdata) {
      return mw_request_async(session_, request_json.c_str(), done, userdata);
    });
  }
  std::future<std::string> login_async(std::string_view username, std::string_view password) {
    std::string credentials = "{\"username\": " + json_quote(username) + ", \"password\": " + json_quote(password) + "}";
    return detail::start_async([&](mw_done_fn done, void* userdata) {
      return mw_login_async(session_, credentials.c_str(), done, userdata);
    });
  }
  std::future<std::string> upload_async(const std::string& request_json) {
    return detail::start_async([&](mw_done_fn done, void* userdata) {
      return mw_upload_async(session_, request_json.c_str(), done, userdata);
    });
  }
  std::future<std::string> rest_async(const std::string& request_json) {
    return detail::start_async([&](mw_done_fn done, void* userdata) {
      return mw_rest_async(session_, request_json.c_str(), done, userdata);
    });
  }
  std::future<std::string> auth_begin_async(const std::string& request_json) {
    return detail::start_async([&](mw_done_fn done, void* userdata) {
      return mw_auth_begin_async(session_, request_json.c_str(), done, userdata);
    });
  }
  std::future<std::string> auth_continue_async(const std::string& fields_json) {
    return detail::start_async([&](mw_done_fn done, void* userdata) {
      return mw_auth_continue_async(session_, fields_json.c_str(), done, userdata);
    });
  }
  std::future<std::string> logout_async() {
    return detail::start_async(
        [&](mw_done_fn done, void* userdata) { return mw_logout_async(session_, done, userdata); });
  }

  /// Logs out and forgets the session's cookies, tokens and credentials. Out: {}.
  std::string logout() {
    return detail::checked([&](char** out) { return mw_logout(session_, out); });
  }

  /// What the session knows now, without a request: {"api_url", "logged_in", "username", "userid", "auth"}.
  std::string info() const {
    return detail::checked([&](char** out) { return mw_session_info(session_, out); });
  }

  /// What a login form must ask: {"requests": [...], "fields": {...}}. `options_json` empty
  /// means the defaults, else {"messageformat": "html"|"wikitext"|"raw"|"none"}.
  std::string clientlogin_fields(const std::string& options_json = {}) {
    const char* options = options_json.empty() ? nullptr : options_json.c_str();
    return detail::checked([&](char** out) { return mw_clientlogin_fields(session_, options, out); });
  }

  /// Starts action=clientlogin with the form's fields (JSON object). Out: "status" PASS, UI or
  /// REDIRECT; FAIL and RESTART throw LoginError (json() holds the whole object).
  std::string clientlogin(const std::string& request_json) {
    return detail::checked([&](char** out) { return mw_clientlogin(session_, request_json.c_str(), out); });
  }

  /// Continues a clientlogin after UI or REDIRECT; StateError ("no_flow") with no flow in progress.
  std::string clientlogin_step(const std::string& fields_json) {
    return detail::checked([&](char** out) { return mw_clientlogin_step(session_, fields_json.c_str(), out); });
  }

  // ---- every AuthManager operation: login, create, link, change, remove, unlink -------------
  //
  //   s.auth_fields(R"({"purpose": "create"})");               // the form: fields, a captcha
  //   s.auth_begin(R"({"purpose": "create", "fields": {"username": "NewUser",
  //                "password": "...", "retype": "...", "captchaWord": "42"}})");   // PASS
  //
  // clientlogin_fields(), clientlogin() and clientlogin_step() are the "login" case of these.

  /// What the form of an AuthManager operation must ask (mw_auth_fields): MediaWiki's
  /// authmanagerinfo object ("requests", merged "fields", "haspreservedstate",
  /// "preservedusername", ...) plus "canpreservestate". `options_json` empty means the defaults
  /// (purpose "login"), else {"purpose": "login"|"create"|"link"|"change"|"remove"|"unlink",
  /// "messageformat": "html"|"wikitext"|"raw"|"none"}. The purpose's token, and the form's hidden
  /// fields (a captcha id), are kept for the next auth_begin() of the same purpose. For change,
  /// remove and unlink each of "requests" names an "id" that auth_begin()'s "request" takes.
  /// StateError "not_logged_in" for link, change, remove and unlink on a session that is not
  /// logged in (before any request); ArgumentError for bad options ("invalid_value", ...).
  std::string auth_fields(const std::string& options_json = {}) {
    const char* options = options_json.empty() ? nullptr : options_json.c_str();
    return detail::checked([&](char** out) { return mw_auth_fields(session_, options, out); });
  }

  /// The first step of an operation (mw_auth_begin): {"purpose": P (default "login"), "fields":
  /// {...}, "returnurl"?, "preservestate"?, "request"?}. Field values are strings, or booleans for
  /// checkboxes and buttons; the hidden fields of the last form of the same purpose are sent back.
  /// "request" (an id from auth_fields) is required for change, remove and unlink and refused
  /// elsewhere; "preservestate" is for login and create; "returnurl" for login, create and link.
  /// Out: the module's object: "status" PASS, UI or REDIRECT (continue UI and REDIRECT with
  /// auth_continue()), or {"status": "success"} for change, remove and unlink. A create PASS
  /// carries the new "username" and does not log the session in; a login PASS does.
  /// Throws LoginError for FAIL and RESTART (code() is the messagecode, json() the whole object:
  /// after a FAIL also the form as the wiki now wants it), ApiError for the refusals of change,
  /// remove and unlink ("badrequest", "badretype", ...), StateError "not_logged_in", and
  /// ArgumentError for a request that does not fit its purpose ("invalid_value"), all before
  /// any request.
  std::string auth_begin(const std::string& request_json) {
    return detail::checked([&](char** out) { return mw_auth_begin(session_, request_json.c_str(), out); });
  }

  /// Continues the login, create or link in progress after UI or REDIRECT (mw_auth_continue)
  /// with the next fields: {"OATHToken": "123456"}, or the parameters the third party sent back
  /// to the return URL. Same outputs and exceptions as auth_begin(); StateError "no_flow" when no
  /// flow is in progress (never begun, or ended by PASS, FAIL or RESTART), before any request.
  std::string auth_continue(const std::string& fields_json) {
    return detail::checked([&](char** out) { return mw_auth_continue(session_, fields_json.c_str(), out); });
  }

  /// Sets the log callback (an empty function turns logging off). Not to be called from two
  /// threads at once on one Session (the calls that log may run meanwhile).
  void set_logger(Logger logger) {
    std::unique_ptr<Logger> next;
    mw_result result;
    if (logger) {
      next = std::make_unique<Logger>(std::move(logger));
      result = mw_session_set_logger(session_, &Session::trampoline, next.get());
    } else {
      result = mw_session_set_logger(session_, nullptr, nullptr);
    }
    if (result != MW_OK) detail::throw_error(result, "{}");
    // A replaced callback may still be finishing a line (mw_session_set_logger does not wait
    // for it), so every logger set stays alive until the session is freed.
    if (next) loggers_.push_back(std::move(next));
  }

 private:
  mw_session* session_ = nullptr;
  std::vector<std::unique_ptr<Logger>> loggers_;   // heap-held: each address is a userdata

  // One member of the params request_all sends: its name, and name and value as JSON text.
  struct Param {
    std::string name, raw_name, raw_value;
  };

  // The request `top` with `params` as its "params".
  static std::string with_params(const std::vector<detail::Reader::Member>& top, const std::vector<Param>& params) {
    std::vector<std::pair<std::string_view, std::string>> members;
    for (const auto& p : params) members.emplace_back(p.raw_name, p.raw_value);
    std::string params_text = detail::object_text(members);
    members.clear();
    for (const auto& t : top)
      members.emplace_back(t.raw_name, t.name == "params" ? params_text : std::string(t.raw_value));
    return detail::object_text(members);
  }

  void reset() noexcept {
    mw_session_free(session_);  // NULL does nothing
    session_ = nullptr;
    loggers_.clear();
  }

  static void trampoline(void* userdata, int level, const char* message) noexcept {
    try {
      (*static_cast<Logger*>(userdata))(level, message ? std::string_view(message) : std::string_view());
    } catch (...) {
      // An exception must not unwind into the library.
    }
  }

  static mw_result result_of(const std::string& json) {
    std::string code, info;
    long result = MW_ERR_INTERNAL;
    detail::Reader(json).read(code, info, &result);
    return static_cast<mw_result>(result);
  }
};

}  // namespace mwauth

#endif  // MWAUTH_HPP
