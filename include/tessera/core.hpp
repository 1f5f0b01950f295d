// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The core primitives every tessera module builds on.
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/core/constant_time.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/core/secret.hpp>
