#pragma once

/** @file
    Everything tessera offers without optional dependencies.
*/

#include <tessera/core.hpp>
#include <tessera/jwt.hpp>
#include <tessera/version.hpp>
