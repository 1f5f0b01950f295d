// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The revocation policies: how a credential stops working before it expires.
    Each built-in policy's behaviour is in its own header; `policy.hpp` says
    what a policy is, so that a user can write one.

    | policy | what revokes | latency | store reads per authenticate |
    |---|---|---|---|
    | `server_side` | deleting the session record | immediate | 1 |
    | `expiry_only` | nothing; tokens are short-lived | up to the access-token lifetime | 0 |
    | `deny_list` | `(iss, jti)` kept until the token's `exp` | immediate, one token | 1 |
    | `token_version` | a per-subject random version carried as a claim | immediate, every token of the subject | 1 |
    | `refresh_rotation` | ending the refresh family the access token names | immediate | 1 |
    | `all_of<P...>` | any member | the fastest member's | the members' sum |
*/

#include <tessera/revocation/deny_list.hpp>
#include <tessera/revocation/expiry_only.hpp>
#include <tessera/revocation/policy.hpp>
#include <tessera/revocation/refresh_rotation.hpp>
#include <tessera/revocation/server_side.hpp>
#include <tessera/revocation/token_version.hpp>
