// SPDX-License-Identifier: BSL-1.0
// Refresh families must be kept somewhere.
#include <tessera/authenticator.hpp>
#ifndef TESSERA_TWIN
using storage = tessera::stateless;
#else
using storage = tessera::memory_store;
#endif
using subject = tessera::authenticator<storage, tessera::jwt::eddsa, tessera::refresh_rotation>;
static_assert(sizeof(subject) > 0);
int main() {}
