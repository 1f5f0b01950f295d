// SPDX-License-Identifier: BSL-1.0
// The one Boost.Test entry point; every suite lives in its own source file.
#define BOOST_TEST_MODULE tessera
#include <boost/test/unit_test.hpp>
