// SPDX-License-Identifier: BSL-1.0
#pragma once

/// tessera's version, as MAJOR * 10000 + MINOR * 100 + PATCH.
#define TESSERA_VERSION 100 // 0.1.0

namespace tessera::inline v0 {

inline constexpr int version_major = 0;
inline constexpr int version_minor = 1;
inline constexpr int version_patch = 0;
/// "0.1.0"
inline constexpr const char* version_string = "0.1.0";

} // namespace tessera::inline v0
