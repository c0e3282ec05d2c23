// The C++ wrapper's transport (bindings/cpp/mwauth.hpp): upload(), rest(), request()'s "files"
// and "continue", request_all(), and config max_concurrent_requests. Against the real test wiki
// (tests/wiki/with-wiki.sh sets the environment), as tests/wiki_transport.rs does: uploads in
// one request and in chunks whose SHA-1 on the wiki is the file's, a duplicate's Warning, REST
// reads and writes from the bot's cookie session, continuation over pages made for the run; and
// on a loopback server started here, as tests/loopback_transport.rs does: a cap of 2 never
// exceeded by 8 threads. Ends with "transport_test: N passed, N failed".
#include <mwauth.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"

namespace {

// ---- SHA-1 (FIPS 180-4), to compare with the wiki's ------------------------------------------

class Sha1 {
 public:
  void update(const unsigned char* p, std::size_t n) {
    bytes_ += n;
    while (n > 0) {
      std::size_t take = std::min(n, sizeof block_ - used_);
      std::copy(p, p + take, block_ + used_);
      used_ += take, p += take, n -= take;
      if (used_ == sizeof block_) compress(), used_ = 0;
    }
  }
  std::string hex() {
    std::uint64_t bits = bytes_ * 8;
    unsigned char pad = 0x80;
    update(&pad, 1);
    pad = 0;
    while (used_ != 56) update(&pad, 1);
    unsigned char length[8];
    for (int i = 0; i < 8; i++) length[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
    update(length, 8);
    char out[41];
    for (int i = 0; i < 5; i++) std::snprintf(out + 8 * i, 9, "%08x", h_[i]);
    return out;
  }

 private:
  std::uint32_t h_[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  unsigned char block_[64];
  std::size_t used_ = 0;
  std::uint64_t bytes_ = 0;

  static std::uint32_t rol(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
  void compress() {
    std::uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = std::uint32_t(block_[4 * i]) << 24 | std::uint32_t(block_[4 * i + 1]) << 16 |
             std::uint32_t(block_[4 * i + 2]) << 8 | std::uint32_t(block_[4 * i + 3]);
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int i = 0; i < 80; i++) {
      std::uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e;
  }
};

std::string sha1_hex(const std::string& bytes) {
  Sha1 h;
  h.update(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return h.hex();
}

// sha1sum's opinion of a file, to check the one above on a file of the test's.
std::string sha1sum(const std::string& path) {
  std::string out;
  if (FILE* p = popen(("sha1sum " + path).c_str(), "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    pclose(p);
  }
  return out.substr(0, out.find(' '));
}

std::string base64(const std::string& bytes) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t v = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out += digits[v >> 18 & 63];
    out += digits[v >> 12 & 63];
    out += i + 1 < bytes.size() ? digits[v >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? digits[v & 63] : '=';
  }
  return out;
}

// `length` bytes that differ from run to run (files the wiki has not seen) and from seed to
// seed (files that are not each other's duplicates): SplitMix64.
std::string random_bytes(std::size_t length, std::uint64_t seed) {
  std::uint64_t state = seed ^ (std::uint64_t(getpid()) << 32) ^ std::uint64_t(std::time(nullptr));
  std::string out(length, '\0');
  for (auto& byte : out) {
    state += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    byte = static_cast<char>(z ^ (z >> 31));
  }
  return out;
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// The text of the JSON string that follows `key` ("sha1", ...) at its first occurrence after
// `from`, or "" (enough for the hex digits, keys and titles these tests look for).
std::string string_after(const std::string& json, const std::string& key, std::size_t from = 0) {
  std::string marker = "\"" + key + "\":\"";
  auto at = json.find(marker, from);
  if (at == std::string::npos) return {};
  at += marker.size();
  return json.substr(at, json.find('"', at) - at);
}

// ---- a loopback server: a thread per connection, ~20 ms per request ---------------------------

// Answers every request after `delay`, and counts the requests it holds at once (from the whole
// request read to just before the answer is written: never more than the client has in flight).
// /rest.php/v1/page/missing gets MediaWiki 1.43's 404; a query with cpp_c or cpp_d a scripted
// continuation (cpp_c=0 -> continue {cpp_c, cpp_n, continue}, cpp_c=1 -> continue {cpp_d},
// cpp_d -> done); everything else {"batchcomplete":true}. It keeps each request line.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::chrono::milliseconds delay) : delay_(delay) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 64) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("loopback server");
      std::exit(2);
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : connections_) t.join();  // the acceptor has ended: nothing adds to them
    close(fd_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::string api_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/w/api.php"; }
  int requests() const { return requests_; }
  int most_in_flight() const { return most_; }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> guard(lock_);
    return lines_;
  }

 private:
  std::chrono::milliseconds delay_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, in_flight_{0}, most_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;
  std::mutex lock_;
  std::vector<std::string> lines_;  // lowercased, as the routes below read them

  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c >= 0) connections_.emplace_back([this, c] { serve(c), close(c); });
    }
  }

  void serve(int c) {
    timeval timeout{10, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string in;
    char buf[4096];
    std::size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    std::string head = in.substr(0, head_end);
    for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::size_t body_bytes = 0;
    if (auto at = head.find("\r\ncontent-length:"); at != std::string::npos) body_bytes = std::stoul(head.substr(at + 17));
    while (in.size() < head_end + 4 + body_bytes) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
    int now = ++in_flight_;
    for (int most = most_; now > most && !most_.compare_exchange_weak(most, now);) {
    }
    requests_++;
    const std::string line = head.substr(0, head.find("\r\n"));
    {
      std::lock_guard<std::mutex> guard(lock_);
      lines_.push_back(line);
    }
    std::this_thread::sleep_for(delay_);
    std::string status = "200 OK", body = R"({"batchcomplete":true})";
    if (has(line, "cpp_d=")) {
      body = R"({"batchcomplete":true,"batch":3})";
    } else if (has(line, "cpp_c=1")) {
      body = R"({"continue":{"cpp_d":"x y"},"batch":2})";
    } else if (has(line, "cpp_c=")) {
      body = R"({"continue":{"cpp_c":"1","cpp_n":5,"continue":"-||"},"batch":1})";
    } else if (line.rfind("get /w/rest.php/v1/page/missing ", 0) == 0) {
      status = "404 Not Found";
      body = R"({"messageTranslations":{"en":"The specified page does not exist."},"httpCode":404,)"
             R"("httpReason":"Not Found","errorKey":"rest-nonexistent-title"})";
    }
    std::string out = "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    in_flight_--;
    for (std::size_t sent = 0; sent < out.size();) {
      ssize_t n = send(c, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }
};

const std::string kSiteinfo = R"({"params": {"action": "query", "meta": "siteinfo"}})";

// 8 threads of 4 requests each on one session with config `cap` for max_concurrent_requests,
// against a server that takes 20 ms a request: the most requests the server held at once.
int most_in_flight(const std::string& cap) {
  LoopbackServer server(std::chrono::milliseconds(20));
  mwauth::Session s(config(server.api_url(), ", \"max_concurrent_requests\": " + cap));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++)
    threads.emplace_back([&] {
      for (int i = 0; i < 4; i++) {
        try {
          if (has(s.request(kSiteinfo), "\"batchcomplete\":true")) ok++;
        } catch (const mwauth::Error& e) {
          std::cerr << "loopback request: " << e.what() << "\n";
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 32 && server.requests() == 32,
        std::to_string(ok) + " answers, " + std::to_string(server.requests()) + " requests seen");
  return server.most_in_flight();
}

}  // namespace

static void sha1_itself() {
  CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709", sha1_hex(""));
  CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d", sha1_hex("abc"));
  std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(sha1_hex(two_blocks) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1", sha1_hex(two_blocks));
  CHECK(base64("hello") == "aGVsbG8=" && base64("hi!") == "aGkh" && base64("ab") == "YWI=", base64("hello"));
}

static void loopback() {
  // A cap of 2 is never exceeded by 8 threads; without it the same load has more in flight, so
  // the measure can fail.
  int capped = most_in_flight("2");
  CHECK(capped == 2, std::to_string(capped) + " in flight with a cap of 2");
  int uncapped = most_in_flight("null");
  CHECK(uncapped > 2, std::to_string(uncapped) + " in flight without a cap");
  std::cout << "loopback: at most " << capped << " requests in flight with a cap of 2, " << uncapped << " without\n";
  EXPECT_THROW(mwauth::ArgumentError, mwauth::Session(config("http://127.0.0.1:9/api.php", R"(, "max_concurrent_requests": 0)")),
               [&](const auto& e) { CHECK(e.code() == "invalid_value" && e.http_status() == 0, e.json()); });

  // A REST error status: HttpError with the body's errorKey, message and status.
  LoopbackServer server(std::chrono::milliseconds(0));
  mwauth::Session s(config(server.api_url()));
  EXPECT_THROW(mwauth::HttpError, s.rest(R"({"path": "/v1/page/missing"})"), [&](const auto& e) {
    CHECK(e.code() == "rest-nonexistent-title" && e.http_status() == 404 && e.result() == MW_ERR_HTTP, e.json());
    CHECK(e.info() == "The specified page does not exist.", e.info());
    CHECK(has(e.json(), "\"body\":{") && has(e.json(), "\"httpReason\":\"Not Found\""), e.json());
  });
  CHECK(server.requests() == 1, std::to_string(server.requests()));

  // Continuation whose names change from answer to answer: request_all sends what the
  // library's own "continue": true sends (the last answer's names replaced, a caller's own
  // cpp_c too, a number as its text), and hands over each answer.
  const std::string list = R"({"params": {"action": "query", "list": "x", "cpp_c": "0", "keep": "k"}})";
  const auto before = static_cast<long>(server.lines().size());
  std::string out = s.request(list.substr(0, list.size() - 1) + R"(, "continue": true})");
  CHECK(count(out, "\"batch\":") == 3, out);
  std::vector<std::string> library = server.lines();
  library.erase(library.begin(), library.begin() + before);
  std::vector<std::string> batches;
  std::size_t n = s.request_all(list, [&](const std::string& answer) { batches.push_back(answer); });
  std::vector<std::string> ours = server.lines();
  ours.erase(ours.begin(), ours.begin() + before + static_cast<long>(library.size()));
  std::string seen;
  for (auto& l : ours) seen += l + "\n";
  CHECK(n == 3 && batches.size() == 3 && has(batches[2], "\"batch\":3"), seen);
  CHECK(ours == library, seen);
  CHECK(ours.size() == 3 && has(ours[0], "cpp_c=0") && has(ours[1], "cpp_c=1") && has(ours[1], "cpp_n=5") &&
            has(ours[1], "continue=-%7c%7c") && !has(ours[2], "cpp_c=") && !has(ours[2], "cpp_n=") &&
            !has(ours[2], "continue=") && has(ours[2], "cpp_d=x") && has(ours[2], "keep=k"),
        seen);
}

static void run_tests() {
  const std::string api = env("MWAUTH_TEST_API_URL"), rest_url = env("MWAUTH_TEST_REST_URL");
  const std::string bot = env("MWAUTH_TEST_BOT_USER"), bot_password = env("MWAUTH_TEST_BOT_PASSWORD");
  const std::string version = env("MWAUTH_TEST_MW_VERSION");
  // The test runs more than once in one wiki (plain, ASan, valgrind): its names carry a tag.
  const std::string tag = std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr) % 100000);
  const std::string bot_config = config(api, ", \"assert\": \"bot\", \"bot_password\": {\"username\": " +
                                                 mwauth::json_quote(bot) + ", \"password\": " +
                                                 mwauth::json_quote(bot_password) + "}");

  char dir_template[] = "/tmp/mwauth-cpp-transport.XXXXXX";
  const char* tmp = mkdtemp(dir_template);
  if (tmp == nullptr) {
    std::perror("mkdtemp");
    std::exit(2);
  }
  const std::string dir = tmp;
  std::vector<std::string> made;

  // The wiki's SHA-1 of File:NAME.
  auto wiki_sha1 = [](mwauth::Session& s, const std::string& name) {
    return string_after(s.request(R"({"params": {"action": "query", "prop": "imageinfo", "iiprop": "sha1|size", "titles": )" +
                                  mwauth::json_quote("File:" + name) + "}}"),
                        "sha1");
  };

  // --- uploads: one request, a duplicate's Warning published, chunks -------------------------
  try {
    mwauth::Session s(bot_config);
    std::mutex lock;
    std::vector<std::string> chunk_lines;
    s.set_logger([&](int level, std::string_view message) {
      std::lock_guard<std::mutex> guard(lock);
      if (level == 20 && message.find("chunk") != std::string_view::npos) chunk_lines.emplace_back(message);
    });

    const std::string small = random_bytes(20000, 1);
    const std::string small_path = write_file(dir, "small.bin", small);
    made.push_back(small_path);
    CHECK(sha1sum(small_path) == sha1_hex(small), sha1sum(small_path) + " " + sha1_hex(small));
    const std::string name = "Cpp-small-" + tag + ".bin";
    std::string out = s.upload("{\"filename\": " + mwauth::json_quote(name) + ", \"path\": " + mwauth::json_quote(small_path) +
                               R"(, "text": "A test file.", "comment": "mwauth C++ test"})");
    CHECK(has(out, "\"result\":\"Success\""), out);
    CHECK(string_after(out, "sha1") == sha1_hex(small), out);
    CHECK(wiki_sha1(s, name) == sha1_hex(small), wiki_sha1(s, name));
    CHECK(chunk_lines.empty(), "a small file is no chunked upload");

    // The same bytes under another name: the wiki's Warning, as MW_OK, with the stashed file's
    // key, which request() publishes.
    const std::string copy = "Cpp-copy-" + tag + ".bin";
    out = s.upload("{\"filename\": " + mwauth::json_quote(copy) + ", \"path\": " + mwauth::json_quote(small_path) + "}");
    CHECK(has(out, "\"result\":\"Warning\"") && has(out, "\"duplicate\":[\"" + name + "\"]"), out);
    const std::string filekey = string_after(out, "filekey");
    CHECK(!filekey.empty(), out);
    out = s.request(R"({"params": {"action": "upload", "filename": )" + mwauth::json_quote(copy) + ", \"filekey\": " +
                    mwauth::json_quote(filekey) + R"(, "ignorewarnings": true}, "token": "csrf"})");
    CHECK(has(out, "\"result\":\"Success\""), out);
    CHECK(wiki_sha1(s, copy) == sha1_hex(small), "the published copy");

    // ~2.5 MiB in chunks of 1 MiB: three chunks, a line each, the same SHA-1 on the wiki.
    const std::string big = random_bytes(2 * 1024 * 1024 + 512 * 1024 + 123, 2);
    const std::string big_path = write_file(dir, "big.bin", big);
    made.push_back(big_path);
    CHECK(sha1sum(big_path) == sha1_hex(big), sha1sum(big_path) + " " + sha1_hex(big));
    const std::string chunked = "Cpp-chunked-" + tag + ".bin";
    out = s.upload("{\"filename\": " + mwauth::json_quote(chunked) + ", \"path\": " + mwauth::json_quote(big_path) +
                   R"(, "comment": "chunked", "chunk_bytes": 1048576})");
    CHECK(has(out, "\"result\":\"Success\""), out);
    CHECK(wiki_sha1(s, chunked) == sha1_hex(big), wiki_sha1(s, chunked) + " " + sha1_hex(big));
    {
      std::lock_guard<std::mutex> guard(lock);
      std::string all;
      for (auto& line : chunk_lines) all += line + "\n";
      CHECK(chunk_lines.size() == 3 && has(chunk_lines.back(), "chunk 3 of 3"), all);
    }
    // Below the wiki's minuploadchunksize (1024): refused, before any chunk.
    EXPECT_THROW(mwauth::ArgumentError,
                 s.upload("{\"filename\": " + mwauth::json_quote(chunked) + ", \"path\": " + mwauth::json_quote(big_path) +
                          R"(, "chunk_bytes": 100})"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });

    // request()'s "files": a multipart action=upload, the file from a path or from base64.
    const std::string part = random_bytes(30000, 3);
    const std::string part_path = write_file(dir, "part.bin", part);
    made.push_back(part_path);
    const std::string by_path = "Cpp-files-path-" + tag + ".bin";
    out = s.request(R"({"params": {"action": "upload", "filename": )" + mwauth::json_quote(by_path) +
                    R"(, "comment": "files"}, "token": "csrf", "files": {"file": {"path": )" + mwauth::json_quote(part_path) +
                    "}}}");
    CHECK(has(out, "\"result\":\"Success\""), out);
    CHECK(wiki_sha1(s, by_path) == sha1_hex(part), "files from a path");
    const std::string data = random_bytes(3000, 4), by_data = "Cpp-files-data-" + tag + ".bin";
    out = s.request(R"({"params": {"action": "upload", "filename": )" + mwauth::json_quote(by_data) +
                    R"(}, "token": "csrf", "files": {"file": {"data_base64": ")" + base64(data) +
                    R"(", "filename": "d.bin", "content_type": "application/octet-stream"}}})");
    CHECK(has(out, "\"result\":\"Success\""), out);
    CHECK(wiki_sha1(s, by_data) == sha1_hex(data), "files from base64");

    // Bad input: ArgumentError, before any request.
    const std::string missing = dir + "/no-such-file.bin";
    EXPECT_THROW(mwauth::ArgumentError,
                 s.upload(R"({"filename": "Cpp-missing.bin", "path": )" + mwauth::json_quote(missing) + "}"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    const std::string empty_path = write_file(dir, "empty.bin", "");
    made.push_back(empty_path);
    EXPECT_THROW(mwauth::ArgumentError,
                 s.upload(R"({"filename": "Cpp-empty.bin", "path": )" + mwauth::json_quote(empty_path) + "}"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.upload(R"({"path": "/etc/hostname"})"),
                 [&](const auto& e) { CHECK(e.code() == "missing_field", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError,
                 s.request(R"({"params": {"action": "upload", "filename": "X.bin"}, "token": "csrf", "files": {"file": {"path": )" +
                           mwauth::json_quote(missing) + "}}}"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value" && has(e.info(), "path"), e.json()); });
    EXPECT_THROW(mwauth::ArgumentError,
                 s.request(R"({"params": {"action": "upload", "filename": "X.bin"}, "method": "GET", "files": {"file": {"path": )" +
                           mwauth::json_quote(part_path) + "}}}"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value" && has(e.info(), "GET"), e.json()); });
    EXPECT_THROW(mwauth::ArgumentError,
                 s.request(R"({"params": {"action": "upload"}, "files": {"file": {"data_base64": "!!"}}})"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.request(R"({"params": {"action": "upload"}, "files": []})"),
                 [&](const auto& e) { CHECK(e.code() == "wrong_type", e.json()); });
  } catch (const mwauth::Error& e) {
    check(false, "uploads", __LINE__, e.what() + std::string(" ") + e.json());
  }

  // --- REST from the bot's cookie session -------------------------------------------------------
  try {
    // The bot_password login happens before the first call, a REST write included.
    mwauth::Session s(config(api, ", \"rest_url\": " + mwauth::json_quote(rest_url) + ", \"bot_password\": {\"username\": " +
                                      mwauth::json_quote(bot) + ", \"password\": " + mwauth::json_quote(bot_password) + "}"));
    const std::string title = "Cpp_REST_" + tag;
    std::string out = s.rest(R"({"method": "PUT", "path": "/v1/page/)" + title +
                             R"(", "body": {"source": "Written through rest.php from C++.", "comment": "mwauth C++ REST test"}})");
    CHECK(has(out, "\"status\":201") || has(out, "\"status\":200"), out);
    out = s.rest(R"({"path": "/v1/page/)" + title + "\"}");
    CHECK(has(out, "\"status\":200") && has(out, "\"source\":\"Written through rest.php from C++.\""), out);
    out = s.rest(R"({"method": "GET", "path": "/v1/page/)" + title + "/history\"}");
    CHECK(has(out, "\"status\":200") && string_after(out, "name", out.find("\"revisions\":[")) == "MwBot", out);
    // The same PUT again (no "latest"): the page exists, 409.
    EXPECT_THROW(mwauth::HttpError,
                 s.rest(R"({"method": "PUT", "path": "/v1/page/)" + title + R"(", "body": {"source": "again", "comment": "c"}})"),
                 [&](const auto& e) { CHECK(e.http_status() == 409 && has(e.json(), "\"body\":{"), e.json()); });

    // A missing page: HttpError 404; the code is the body's errorKey where the wiki sends one
    // (1.43), else "http_status" (1.39).
    auto anonymous = mwauth::Session::open(api, "mwauth-cpp-test/1.0");  // rest.php beside api.php
    EXPECT_THROW(mwauth::HttpError, anonymous.rest(R"({"path": "/v1/page/No_such_page_at_all_cpp"})"), [&](const auto& e) {
      CHECK(e.http_status() == 404 && e.result() == MW_ERR_HTTP, e.json());
      CHECK(e.code() == (version == "1.39" ? "http_status" : "rest-nonexistent-title"), version + " " + e.json());
      CHECK(has(e.info(), "No_such_page_at_all_cpp") && has(e.json(), "\"httpCode\":404"), e.json());
    });
    CHECK(has(anonymous.rest(R"({"path": "/v1/page/)" + title + "\", \"query\": {\"redirect\": \"no\"}}"), "\"status\":200"),
          "a GET with a query");

    EXPECT_THROW(mwauth::ArgumentError, s.rest(R"({"method": "POST", "path": "/v1/page", "body": [1]})"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.rest(R"({"path": "/v1/page/X", "body": {"a": 1}})"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.rest(R"({"method": "TRACE", "path": "/v1/page/X"})"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.rest("{\"path\": "), [&](const auto& e) { CHECK(e.code() == "invalid_json", e.json()); });
  } catch (const mwauth::Error& e) {
    check(false, "REST", __LINE__, e.what() + std::string(" ") + e.json());
  }

  // --- continuation: 5 pages, 2 a batch ------------------------------------------------------
  try {
    mwauth::Session s(bot_config);
    const std::string prefix = "Cpp continue " + tag;
    for (int n = 0; n < 5; n++)
      s.request(R"({"params": {"action": "edit", "title": )" + mwauth::json_quote(prefix + " " + std::to_string(n)) +
                R"(, "text": "x", "bot": true}, "token": "csrf"})");
    const std::string list = R"({"params": {"action": "query", "list": "allpages", "apprefix": )" +
                             mwauth::json_quote(prefix) + R"(, "aplimit": 2}})";
    auto each_page_once = [&](const std::string& text) {
      bool once = true;
      for (int n = 0; n < 5; n++) once = once && count(text, "\"title\":\"" + prefix + " " + std::to_string(n) + "\"") == 1;
      return once && count(text, "\"title\":\"") == 5;
    };

    // In the library: {"batches": [...]}.
    std::string out = s.request(list.substr(0, list.size() - 1) + R"(, "continue": true})");
    CHECK(count(out, "\"allpages\":[") == 3 && count(out, "\"continue\":{") == 2 && each_page_once(out), out);
    out = s.request(list.substr(0, list.size() - 1) + R"(, "continue": true, "max_batches": 2})");
    CHECK(count(out, "\"allpages\":[") == 2 && has(out, "\"apcontinue\":\""), out);

    // request_all: one batch at a time.
    std::vector<std::string> batches;
    std::size_t n = s.request_all(list, [&](const std::string& batch) { batches.push_back(batch); });
    std::string all;
    for (auto& b : batches) all += b;
    CHECK(n == 3 && batches.size() == 3 && each_page_once(all), all);
    CHECK(batches.size() == 3 && has(batches[0], "\"continue\":{") && has(batches[1], "\"continue\":{") &&
              !has(batches[2], "\"continue\""),
          all);

    // max_batches stops it, the last answer keeps the continue; resuming from it gives the rest
    // (the resumed request's own apcontinue replaced by the next answer's).
    batches.clear();
    n = s.request_all(list.substr(0, list.size() - 1) + R"(, "max_batches": 2})",
                      [&](const std::string& batch) { batches.push_back(batch); });
    CHECK(n == 2 && batches.size() == 2 && has(batches.back(), "\"apcontinue\":\""), std::to_string(n));
    batches.clear();
    n = s.request_all(list.substr(0, list.size() - 1) + R"(, "max_batches": 1})",
                      [&](const std::string& batch) { batches.push_back(batch); });
    CHECK(n == 1 && batches.size() == 1 && has(batches.back(), "\"apcontinue\":\""), std::to_string(n));
    if (batches.size() == 1) {
      const std::string resume = R"({"params": {"action": "query", "list": "allpages", "apprefix": )" + mwauth::json_quote(prefix) +
                                 R"(, "aplimit": 2, "apcontinue": )" + mwauth::json_quote(string_after(batches.back(), "apcontinue")) +
                                 R"(, "continue": )" + mwauth::json_quote(string_after(batches.back(), "continue")) + "}}";
      std::string rest;
      n = s.request_all(resume, [&](const std::string& batch) { rest += batch; });
      CHECK(n == 2 && each_page_once(batches[0] + rest), rest);
    }

    // A callback that returns false stops after its batch; one that throws, too.
    n = s.request_all(list, [&](const std::string&) { return false; });
    CHECK(n == 1, std::to_string(n));
    int calls = 0;
    try {
      s.request_all(list, [&](const std::string&) {
        calls++;
        throw std::runtime_error("enough");
      });
      CHECK(false, "no exception from the callback");
    } catch (const std::runtime_error& e) {
      CHECK(calls == 1 && std::string(e.what()) == "enough", e.what());
    }
    // An API error of the first batch: thrown, no callback.
    calls = 0;
    EXPECT_THROW(mwauth::ApiError,
                 s.request_all(R"({"params": {"action": "query", "list": "allpages", "aplimit": "nonsense"}})",
                               [&](const std::string&) { calls++; }),
                 [&](const auto& e) { CHECK(calls == 0 && !e.code().empty(), e.json()); });

    // Bad input.
    auto ignore = [](const std::string&) {};
    EXPECT_THROW(mwauth::ArgumentError, s.request_all(list.substr(0, list.size() - 1) + R"(, "continue": true})", ignore),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value" && has(e.json(), "\"error\""), e.json()); });
    EXPECT_THROW(mwauth::ArgumentError,
                 s.request_all(R"({"params": {"action": "query"}, "files": {"f": {"data_base64": ""}}})", ignore),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.request_all("[1]", ignore), [&](const auto& e) { CHECK(e.code() == "invalid_json", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.request_all(std::string(100000, '[') + std::string(100000, ']'), ignore),
                 [&](const auto& e) { CHECK(e.code() == "invalid_json", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError,
                 s.request_all(R"({"params": {"x": )" + std::string(100000, '[') + std::string(100000, ']') + "}}", ignore),
                 [&](const auto& e) { CHECK(e.code() == "invalid_json", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.request_all(list.substr(0, list.size() - 1) + R"(, "max_batches": 0})", ignore),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.request(list.substr(0, list.size() - 1) + R"(, "continue": true, "max_batches": 0})"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
    EXPECT_THROW(mwauth::ArgumentError, s.request(R"({"params": {"action": "upload"}, "continue": true, "files": {"f": {"data_base64": ""}}})"),
                 [&](const auto& e) { CHECK(e.code() == "invalid_value", e.json()); });
  } catch (const mwauth::Error& e) {
    check(false, "continuation", __LINE__, e.what() + std::string(" ") + e.json());
  }

  for (auto& path : made) std::remove(path.c_str());
  rmdir(dir.c_str());
}

int main() {
  try {
    sha1_itself();
    loopback();
    run_tests();
  } catch (const std::exception& e) {  // a call outside the checks above failed
    check(false, "an unexpected exception", __LINE__, e.what());
  }
  std::cout << "transport_test: " << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
