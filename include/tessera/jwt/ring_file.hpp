// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    A sealed key ring in a file, for an application without a shared store: written whole and
    atomically (a new file beside it, flushed to the disk, renamed over the old one), read with a
    size bound. The document is `key_ring::seal`'s: nothing in it is readable without the sealing key.

    @code
    const auto kek = jwt::ring_sealing_key::from_secret(kek_bytes).value();
    auto document = jwt::read_ring_file(path).value();          // nullopt: no ring yet
    jwt::key_ring<jwt::eddsa> ring = document ? jwt::key_ring<jwt::eddsa>{jwt::key_ring<jwt::eddsa>::unseal(*document, kek).value(), timeline}
                                              : jwt::key_ring<jwt::eddsa>{timeline};   // (as members, or in a std::optional)
    ring.persist_with([&](const auto& c) { return jwt::write_ring_file(path, ring.seal(c, kek)); }).value();
    @endcode
*/

#include <tessera/core/error.hpp>
#include <tessera/core/result.hpp>

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessera::inline v0::jwt {

/// The largest ring file read (a ring of a few hundred keys takes a few hundred KiB).
inline constexpr std::size_t max_ring_file_size = std::size_t{16} << 20;

namespace detail {

inline bool write_all(int fd, std::string_view data) noexcept
{
    while (!data.empty()) {
        const auto n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

} // namespace detail

/** Replaces the file at `path` with `document`, mode 0600, atomically: a reader (or a crash) sees the
    old document or the new one, whole.
    @return `store_unavailable` when it cannot be written (the ring's change is then not made).
*/
inline result<void> write_ring_file(const std::string& path, std::string_view document)
{
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return fail(errc::store_unavailable);
    const bool written = detail::write_all(fd, document) && ::fsync(fd) == 0;
    const bool closed = ::close(fd) == 0;
    if (!written || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) {
        ::unlink(temporary.c_str());
        return fail(errc::store_unavailable);
    }
    // The rename itself is made durable by flushing the folder that holds the file.
    const auto slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
        (void)::fsync(dir);
        ::close(dir);
    }
    return {};
}

/** The document in the file at `path`; nothing when there is no such file.
    @return `malformed` for a file over `max_ring_file_size` or not a regular file; `store_unavailable`
    when it cannot be read.
*/
inline result<std::optional<std::string>> read_ring_file(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::optional<std::string>{};
        return fail(errc::store_unavailable);
    }
    struct ::stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > max_ring_file_size) {
        ::close(fd);
        return fail(errc::malformed);
    }
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
        const auto n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (got != out.size())
        return fail(errc::store_unavailable);
    return std::optional<std::string>{std::move(out)};
}

} // namespace tessera::inline v0::jwt
