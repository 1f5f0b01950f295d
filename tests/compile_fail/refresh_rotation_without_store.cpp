// Refresh families must be kept somewhere.
#include <tessera/authenticator.hpp>
using invalid = tessera::authenticator<tessera::stateless, tessera::jwt::eddsa, tessera::refresh_rotation>;
static_assert(sizeof(invalid) > 0);
