// SPDX-License-Identifier: BSL-1.0
// There is no `none` algorithm to pin.
#include <tessera/jwt.hpp>
#ifndef TESSERA_TWIN
using algorithm = tessera::jwt::none;
#else
using algorithm = tessera::jwt::hs256;
#endif
static_assert(sizeof(algorithm) > 0);
int main() {}
