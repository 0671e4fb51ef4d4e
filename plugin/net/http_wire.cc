#include "plugin/net/http_wire.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace acrcp {
namespace {

using nlohmann::json;

void AppendFrame(std::string& out, const std::string& payload) {
  const auto size = static_cast<uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  out.append(payload);
}

// Header values from a server might not be UTF-8; replacing beats failing the request.
std::string Dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<std::string> ReadFrame(ReadExactly read, bool first) {
  unsigned char prefix[4];
  absl::Status status = read(reinterpret_cast<char*>(prefix), sizeof(prefix));
  if (!status.ok()) {
    if (absl::IsNotFound(status) && !first) return absl::DataLossError("truncated message");
    return status;
  }
  const uint32_t size = (uint32_t{prefix[0]} << 24) | (uint32_t{prefix[1]} << 16) |
                        (uint32_t{prefix[2]} << 8) | uint32_t{prefix[3]};
  if (size > kMaxWireFrameBytes) return absl::DataLossError("oversized frame");
  std::string payload(size, '\0');
  if (size > 0) {
    status = read(payload.data(), size);
    if (absl::IsNotFound(status)) return absl::DataLossError("truncated frame");
    if (!status.ok()) return status;
  }
  return payload;
}

// Reads the header frame (parsed) and the body frame of one message.
absl::StatusOr<std::pair<json, std::string>> ReadMessage(ReadExactly read) {
  absl::StatusOr<std::string> header = ReadFrame(read, /*first=*/true);
  if (!header.ok()) return header.status();
  absl::StatusOr<std::string> body = ReadFrame(read, /*first=*/false);
  if (!body.ok()) return body.status();
  json doc = json::parse(*header, nullptr, false);
  if (!doc.is_object()) return absl::DataLossError("message header is not a JSON object");
  return std::make_pair(std::move(doc), *std::move(body));
}

json HeadersToJson(const HttpHeaders& headers) {
  json out = json::array();
  for (const auto& [name, value] : headers) out.push_back({name, value});
  return out;
}

bool HeadersFromJson(const json& doc, HttpHeaders& out) {
  if (!doc.is_array()) return false;
  for (const json& pair : doc) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return false;
    }
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return true;
}

}  // namespace

std::string EncodeRequest(const HttpRequest& request) {
  const json header = {{"kind", "http"},
                       {"method", request.method},
                       {"url", request.url},
                       {"headers", HeadersToJson(request.headers)},
                       {"bypassProxy", request.bypass_proxy},
                       {"timeoutMs", absl::ToInt64Milliseconds(request.timeout)}};
  std::string out;
  AppendFrame(out, Dump(header));
  AppendFrame(out, request.body);
  return out;
}

std::string EncodeSignRequest(const AssertionSigningRequest& request) {
  const json header = {{"kind", "sign"},
                       {"algorithm", request.algorithm},
                       {"password", request.password},
                       {"payload", request.payload_json}};
  std::string out;
  AppendFrame(out, Dump(header));
  AppendFrame(out, request.pem);
  return out;
}

std::string EncodeResult(const absl::StatusOr<HttpResponse>& result) {
  json header;
  if (result.ok()) {
    header = {{"status", result->status}, {"headers", HeadersToJson(result->headers)}};
  } else {
    header = {{"error",
               {{"code", static_cast<int>(result.status().code())},
                {"message", std::string(result.status().message())}}}};
  }
  std::string out;
  AppendFrame(out, Dump(header));
  AppendFrame(out, result.ok() ? result->body : std::string());
  return out;
}

namespace {

bool IsString(const json& doc, const char* key) {
  return doc.contains(key) && doc[key].is_string();
}

absl::StatusOr<HelperRequest> DecodeSign(const json& header, std::string body) {
  if (!IsString(header, "algorithm") || !IsString(header, "password") ||
      !IsString(header, "payload")) {
    return absl::DataLossError("malformed sign request header");
  }
  return AssertionSigningRequest{std::move(body), header["password"].get<std::string>(),
                                 header["algorithm"].get<std::string>(),
                                 header["payload"].get<std::string>()};
}

}  // namespace

absl::StatusOr<HelperRequest> DecodeRequest(ReadExactly read) {
  absl::StatusOr<std::pair<json, std::string>> message = ReadMessage(read);
  if (!message.ok()) return message.status();
  const json& header = message->first;
  const std::string kind = IsString(header, "kind") ? header["kind"].get<std::string>() : "";
  if (kind == "sign") return DecodeSign(header, std::move(message->second));
  if (kind != "http") return absl::DataLossError("unknown request kind");
  HttpRequest request;
  if (!header.contains("method") || !header["method"].is_string() || !header.contains("url") ||
      !header["url"].is_string() || !header.contains("timeoutMs") ||
      !header["timeoutMs"].is_number_integer() || !header.contains("headers") ||
      !HeadersFromJson(header["headers"], request.headers)) {
    return absl::DataLossError("malformed request header");
  }
  request.method = header["method"].get<std::string>();
  request.url = header["url"].get<std::string>();
  request.timeout = absl::Milliseconds(header["timeoutMs"].get<int64_t>());
  request.bypass_proxy = header.value("bypassProxy", false);
  request.body = std::move(message->second);
  return HelperRequest(std::move(request));
}

absl::StatusOr<absl::StatusOr<HttpResponse>> DecodeResult(ReadExactly read) {
  absl::StatusOr<std::pair<json, std::string>> message = ReadMessage(read);
  if (!message.ok()) return message.status();
  const json& header = message->first;
  if (const auto error = header.find("error"); error != header.end()) {
    if (!error->is_object() || !error->contains("code") || !(*error)["code"].is_number_integer() ||
        !error->contains("message") || !(*error)["message"].is_string()) {
      return absl::DataLossError("malformed error result");
    }
    const int code = (*error)["code"].get<int>();
    if (code <= 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
      return absl::DataLossError("malformed error code");
    }
    return absl::StatusOr<HttpResponse>(
        absl::Status(static_cast<absl::StatusCode>(code), (*error)["message"].get<std::string>()));
  }
  HttpResponse response;
  if (!header.contains("status") || !header["status"].is_number_integer() ||
      !header.contains("headers") || !HeadersFromJson(header["headers"], response.headers)) {
    return absl::DataLossError("malformed result header");
  }
  response.status = header["status"].get<int>();
  response.body = std::move(message->second);
  return absl::StatusOr<HttpResponse>(std::move(response));
}

}  // namespace acrcp
