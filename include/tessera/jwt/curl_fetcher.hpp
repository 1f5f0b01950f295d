// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `jwt::curl_fetcher`: the fetch policy of a remote key set on libcurl (component `tessera::curl`;
    Debian's `libcurl4-openssl-dev`), the HTTP client the C and C++ peers use.

    Each fetch is one GET on a handle of its own, with: certificate and host-name verification on
    (`CURLOPT_SSL_VERIFYPEER`, `CURLOPT_SSL_VERIFYHOST` 2), the system's trusted authorities or
    `ca_file`; `http` and `https` only, redirects never followed; a connect timeout and the request's
    total timeout; the body read up to the request's limit and no further (`Content-Length` is not
    trusted for it); no signals (`CURLOPT_NOSIGNAL`), so it is safe in a threaded server.
*/

#include <tessera/core/ascii.hpp>
#include <tessera/core/result.hpp>
#include <tessera/jwt/fetch.hpp>

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace tessera::inline v0::jwt {

/// How `curl_fetcher` connects.
struct curl_options {
    /// A PEM file of the authorities trusted for `https` (empty: the system's).
    std::string ca_file{};
    /// The longest wait for a connection (within the request's total timeout).
    std::chrono::milliseconds connect_timeout{2000};
    /// The `User-Agent` sent.
    std::string user_agent = "tessera";
};

namespace detail {

/// What one transfer gathers: the body up to its limit, and the two header fields a key set reads.
struct curl_transfer {
    std::size_t max_body = 0;
    bool too_large = false;
    fetch_response response;
    int etags = 0;

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) noexcept
    {
        auto& t = *static_cast<curl_transfer*>(self);
        const std::size_t n = size * count;
        if (n > t.max_body - t.response.body.size()) {
            t.too_large = true;
            return 0; // libcurl stops the transfer: CURLE_WRITE_ERROR
        }
        try {
            t.response.body.append(data, n);
        } catch (...) {
            return 0;
        }
        return n;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) noexcept
    {
        auto& t = *static_cast<curl_transfer*>(self);
        const std::size_t n = size * count;
        std::string_view line{data, n};
        // Every response's header block starts with its status line: only the last response counts.
        if (line.starts_with("HTTP/")) {
            t.response.etag.clear();
            t.response.cache_control.clear();
            t.etags = 0;
            return n;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return n;
        const auto name = line.substr(0, colon);
        const auto value = tessera::detail::trim_ows(line.substr(colon + 1));
        const auto trimmed = value.substr(0, value.find_last_not_of("\r\n") + 1);
        try {
            if (tessera::detail::equal_ignoring_ascii_case(name, "etag")) {
                // Two different validators: neither is sent back.
                if (t.etags++ == 0)
                    t.response.etag = std::string{trimmed};
                else if (t.response.etag != trimmed)
                    t.response.etag.clear();
            } else if (tessera::detail::equal_ignoring_ascii_case(name, "cache-control")) {
                if (!t.response.cache_control.empty())
                    t.response.cache_control += ", ";
                t.response.cache_control += trimmed;
            }
        } catch (...) {
            return 0;
        }
        return n;
    }
};

inline void curl_global_once()
{
    static std::once_flag once;
    std::call_once(once, [] { ::curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct curl_easy_deleter {
    void operator()(CURL* c) const noexcept { ::curl_easy_cleanup(c); }
};
struct curl_slist_deleter {
    void operator()(curl_slist* l) const noexcept { ::curl_slist_free_all(l); }
};

inline fetch_failure failure_of(CURLcode code, bool too_large) noexcept
{
    if (too_large)
        return fetch_failure::too_large;
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return fetch_failure::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED: return fetch_failure::tls;
    case CURLE_FILESIZE_EXCEEDED: return fetch_failure::too_large;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return fetch_failure::insecure_url;
    default: return fetch_failure::unreachable;
    }
}

} // namespace detail

/** A fetch policy on libcurl.
    @par Thread Safety
    Callable from many threads at once: each call has its own handle.
*/
class curl_fetcher {
public:
    curl_fetcher() : curl_fetcher(curl_options{}) {}
    explicit curl_fetcher(curl_options options) : options_(std::make_shared<const curl_options>(std::move(options)))
    {
        detail::curl_global_once();
    }

    [[nodiscard]] result<fetch_response> operator()(const fetch_request& request) const
    {
        if (!detail::check_fetch_url(request.url))
            return fail(fetch_failure::insecure_url);
        std::unique_ptr<CURL, detail::curl_easy_deleter> handle{::curl_easy_init()};
        if (!handle)
            return fail(fetch_failure::unreachable);
        CURL* c = handle.get();
        const std::string url{request.url};
        detail::curl_transfer transfer;
        transfer.max_body = request.max_body;

        std::unique_ptr<curl_slist, detail::curl_slist_deleter> headers;
        auto add_header = [&](const std::string& line) {
            auto* grown = ::curl_slist_append(headers.get(), line.c_str());
            if (grown != nullptr) {
                (void)headers.release();
                headers.reset(grown);
            }
            return grown != nullptr;
        };
        bool ok = add_header("Accept: application/jwk-set+json, application/json");
        if (!request.if_none_match.empty())
            ok = ok && add_header("If-None-Match: " + std::string{request.if_none_match});
        if (request.no_cache)
            ok = ok && add_header("Cache-Control: no-cache");
        if (!ok)
            return fail(fetch_failure::unreachable);

        const auto total = static_cast<long>(request.timeout.count());
        const auto connect = static_cast<long>(std::min(options_->connect_timeout, request.timeout).count());
        bool set = ::curl_easy_setopt(c, CURLOPT_URL, url.c_str()) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body)) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_USERAGENT, options_->user_agent.c_str()) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &detail::curl_transfer::on_body) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &detail::curl_transfer::on_header) == CURLE_OK &&
                   ::curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer) == CURLE_OK;
        if (set && !options_->ca_file.empty())
            set = ::curl_easy_setopt(c, CURLOPT_CAINFO, options_->ca_file.c_str()) == CURLE_OK;
        if (!set)
            return fail(fetch_failure::unreachable);

        const CURLcode done = ::curl_easy_perform(c);
        if (done != CURLE_OK)
            return fail(detail::failure_of(done, transfer.too_large));
        long status = 0;
        if (::curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
            return fail(fetch_failure::unreachable);
        transfer.response.status = static_cast<int>(status);
        return std::move(transfer.response);
    }

    [[nodiscard]] const curl_options& options() const noexcept { return *options_; }

private:
    std::shared_ptr<const curl_options> options_;
};

static_assert(fetch_policy<curl_fetcher>);

} // namespace tessera::inline v0::jwt
