// SPDX-License-Identifier: BSL-1.0
// Deleting a record cannot revoke a self-contained JWT.
#include <tessera/authenticator.hpp>
#ifndef TESSERA_TWIN
using signing = tessera::jwt::hs256;
#else
using signing = tessera::opaque;
#endif
using subject = tessera::authenticator<tessera::memory_store, signing, tessera::server_side>;
static_assert(sizeof(subject) > 0);
int main() {}
