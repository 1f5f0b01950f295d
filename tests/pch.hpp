// SPDX-License-Identifier: BSL-1.0
#pragma once
// Precompiled for every test source: the heavy third-party headers.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <botan/pubkey.h>
#include <botan/mac.h>
#include <botan/hash.h>

#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
