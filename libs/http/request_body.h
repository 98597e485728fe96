// File: libs/http/request_body.h
//
// RequestBody is the Beast body type the server reads requests into: a std::string, as Beast's
// string_body, with two differences that matter for bodies of many kilobytes (a batch of 100
// alerts is ~25 KB):
//   - a body of declared length is reserved with kRequestBodySpareCapacity bytes to spare, so
//     that a parser which reads a little past the end (simdjson: SIMDJSON_PADDING) can parse it
//     where it lies instead of copying it into a padded buffer first;
//   - the bytes are appended as they arrive, where string_body first resizes the string (which
//     zero-fills it) and then overwrites what it just filled.
// A chunked body (no declared length) grows by appends and has whatever capacity that leaves.
//
// Internal to libs/http; Request::body (server.h) documents the spare capacity to handlers.

#ifndef WECOM_NOTIFY_LIBS_HTTP_REQUEST_BODY_H_
#define WECOM_NOTIFY_LIBS_HTTP_REQUEST_BODY_H_

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "libs/http/server.h"

namespace wecom_notify::http {

struct RequestBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>& /*header*/, value_type& body)
        : body_(body) {}

    // The parser has already refused a declared length above its body limit.
    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      if (length) body_.reserve(static_cast<std::size_t>(*length) + kRequestBodySpareCapacity);
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      std::size_t appended = 0;
      for (const auto buffer : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        appended += buffer.size();
      }
      ec = {};
      return appended;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace wecom_notify::http

#endif  // WECOM_NOTIFY_LIBS_HTTP_REQUEST_BODY_H_
