// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `server_side`: the revocation of server-side sessions. The session record
    in the store *is* the credential: deleting it revokes, at once. It selects
    the session scheme, `authenticator<Store, opaque, server_side>`, whose
    behaviour is the session scheme's (scheme/session.hpp, over
    scheme/session_manager.hpp).
*/

namespace tessera::inline v0 {

/// Sessions: the record in the store is the credential; deleting it revokes.
struct server_side {
    static constexpr bool needs_store = true;
};

} // namespace tessera::inline v0
