#include "plugin/net/http_wire.h"

#include <string>
#include <variant>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acrcp {
namespace {

// Reads from an in-memory byte string, as the socket would deliver it.
class Reader {
 public:
  explicit Reader(std::string data) : data_(std::move(data)) {}
  absl::Status operator()(char* buffer, size_t size) const {
    if (pos_ == data_.size()) return absl::NotFoundError("end");
    if (data_.size() - pos_ < size) return absl::DataLossError("short");
    data_.copy(buffer, size, pos_);
    pos_ += size;
    return absl::OkStatus();
  }

 private:
  std::string data_;
  mutable size_t pos_ = 0;
};

TEST(HttpWireTest, RequestRoundTripsIncludingBinaryBody) {
  HttpRequest request;
  request.method = "POST";
  request.url = "https://login.example/t/oauth2/v2.0/token";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = std::string("a=b&secret=\0\xff", 14);
  request.timeout = absl::Milliseconds(12345);
  Reader reader(EncodeRequest(request));
  absl::StatusOr<HelperRequest> message = DecodeRequest(reader);
  ASSERT_TRUE(message.ok()) << message.status();
  const auto* decoded = std::get_if<HttpRequest>(&*message);
  ASSERT_NE(decoded, nullptr);
  EXPECT_EQ(decoded->method, request.method);
  EXPECT_EQ(decoded->url, request.url);
  EXPECT_EQ(decoded->headers, request.headers);
  EXPECT_EQ(decoded->body, request.body);
  EXPECT_EQ(decoded->timeout, request.timeout);
  EXPECT_TRUE(absl::IsNotFound(DecodeRequest(reader).status())) << "clean end of input";
}

TEST(HttpWireTest, SignRequestRoundTrips) {
  const AssertionSigningRequest request{"-----BEGIN CERTIFICATE-----\n...", "pw", "RS256",
                                        R"({"iss":"c"})"};
  Reader reader(EncodeSignRequest(request));
  absl::StatusOr<HelperRequest> message = DecodeRequest(reader);
  ASSERT_TRUE(message.ok()) << message.status();
  const auto* decoded = std::get_if<AssertionSigningRequest>(&*message);
  ASSERT_NE(decoded, nullptr);
  EXPECT_EQ(decoded->pem, request.pem);
  EXPECT_EQ(decoded->password, request.password);
  EXPECT_EQ(decoded->algorithm, request.algorithm);
  EXPECT_EQ(decoded->payload_json, request.payload_json);
}

TEST(HttpWireTest, ResultsRoundTrip) {
  HttpResponse response;
  response.status = 429;
  response.headers = {{"retry-after", "1"}};
  response.body = R"({"error":"x"})";
  Reader ok_reader(EncodeResult(response));
  absl::StatusOr<absl::StatusOr<HttpResponse>> ok = DecodeResult(ok_reader);
  ASSERT_TRUE(ok.ok());
  ASSERT_TRUE(ok->ok());
  EXPECT_EQ((*ok)->status, 429);
  EXPECT_EQ((*ok)->headers, response.headers);
  EXPECT_EQ((*ok)->body, response.body);

  Reader error_reader(EncodeResult(absl::UnavailableError("cannot reach h: reset")));
  absl::StatusOr<absl::StatusOr<HttpResponse>> error = DecodeResult(error_reader);
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(error->status().message(), "cannot reach h: reset");
}

TEST(HttpWireTest, MalformedMessagesAreDataLoss) {
  const std::string good = EncodeResult(HttpResponse{200, {}, "{}"});
  for (const std::string& bad : {
           good.substr(0, 3),                        // truncated length prefix
           good.substr(0, good.size() - 1),          // truncated body
           std::string("\x7f\xff\xff\xff", 4),       // oversized frame
           std::string("\0\0\0\x02[]\0\0\0\0", 10),  // header not an object
           std::string("\0\0\0\x02{}\0\0\0\0", 10),  // no status
       }) {
    Reader reader(bad);
    absl::StatusOr<absl::StatusOr<HttpResponse>> result = DecodeResult(reader);
    EXPECT_FALSE(result.ok());
    EXPECT_NE(result.status().code(), absl::StatusCode::kOk);
  }
  // A status code outside absl's range is refused, not cast into an enum.
  std::string bad_code = EncodeResult(absl::Status(absl::StatusCode::kUnavailable, "x"));
  const size_t code = bad_code.find("\"code\":14");
  ASSERT_NE(code, std::string::npos);
  bad_code.replace(code + 7, 2, "99");
  Reader reader(bad_code);
  EXPECT_EQ(DecodeResult(reader).status().message(), "malformed error code");
}

}  // namespace
}  // namespace acrcp
