// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Server-side sessions. `session_manager` and the session records live with
    the session scheme, in scheme/session_manager.hpp; this header keeps the
    include line that code written for earlier versions uses.
*/

#include <tessera/scheme/session_manager.hpp>
