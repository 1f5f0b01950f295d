// An opaque session id means nothing without a store.
#include <tessera/authenticator.hpp>
using invalid = tessera::authenticator<tessera::stateless, tessera::opaque, tessera::server_side>;
static_assert(sizeof(invalid) > 0);
