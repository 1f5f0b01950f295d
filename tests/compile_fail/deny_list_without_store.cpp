// SPDX-License-Identifier: BSL-1.0
// A deny list must be kept somewhere. (The twin, built with TESSERA_TWIN, gives it a store and compiles.)
#include <tessera/authenticator.hpp>
#ifndef TESSERA_TWIN
using storage = tessera::stateless;
#else
using storage = tessera::memory_store;
#endif
using subject = tessera::authenticator<storage, tessera::jwt::hs256, tessera::deny_list>;
static_assert(sizeof(subject) > 0);
int main() {}
