// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Refresh-token families. They are the hybrid scheme's state, and live with
    it, in scheme/refresh_families.hpp; this header keeps the include line
    that code written for earlier versions uses.
*/

#include <tessera/scheme/refresh_families.hpp>
