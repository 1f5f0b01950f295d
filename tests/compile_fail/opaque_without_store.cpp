// SPDX-License-Identifier: BSL-1.0
// An opaque session id means nothing without a store.
#include <tessera/authenticator.hpp>
#ifndef TESSERA_TWIN
using storage = tessera::stateless;
#else
using storage = tessera::memory_store;
#endif
using subject = tessera::authenticator<storage, tessera::opaque, tessera::server_side>;
static_assert(sizeof(subject) > 0);
int main() {}
