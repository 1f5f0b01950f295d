// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The Lua scripts of `redis_store`: every operation that changes more than one key runs as one
    script, so as one atomic step and one round trip.
*/

#include <array>
#include <cstddef>
#include <string_view>

namespace tessera::inline v0::detail {

// Writes records in order. Each group of six arguments is one write: mode ('p' put; 'i' only where no
// live record is, which as the first write guards the whole batch; 'r' only over a live record),
// key, value, index entry, expires_at, ttl ms. Returns 1, or 0 if the first write was not made.
// KEYS: the expiry set, then each write's record. ARGV: {prefix}, now, then the groups.
inline constexpr std::string_view redis_writes_lua = R"lua(
local tag, now = ARGV[1], tonumber(ARGV[2])
local function extend_index(subject, ttl)
  local index = tag .. 'i:' .. subject
  if redis.call('PTTL', index) < tonumber(ttl) then redis.call('PEXPIRE', index, ttl) end
end
local first = 1
for g = 0, (#ARGV - 2) / 6 - 1 do
  local a = 2 + g * 6
  local mode, key, value, subject, e, ttl = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6]
  local record = KEYS[g + 2]
  local old = redis.call('HMGET', record, 's', 'e')
  local live = old[2] and tonumber(old[2]) > now
  if mode == 'r' then
    if live then
      redis.call('HSET', record, 'v', value, 'e', e)
      redis.call('PEXPIRE', record, ttl)
      redis.call('ZADD', KEYS[1], e, key)
      if old[1] ~= '' then extend_index(old[1], ttl) end
    elseif g == 0 then
      first = 0
    end
  elseif mode == 'i' and live then
    if g == 0 then return 0 end
  else
    if old[1] and old[1] ~= '' and old[1] ~= subject then
      redis.call('SREM', tag .. 'i:' .. old[1], key)
    end
    redis.call('HSET', record, 'v', value, 's', subject, 'e', e)
    redis.call('PEXPIRE', record, ttl)
    redis.call('ZADD', KEYS[1], e, key)
    if subject ~= '' then
      redis.call('SADD', tag .. 'i:' .. subject, key)
      extend_index(subject, ttl)
    end
  end
end
-- Records leave through their TTLs, their entries here would stay: each write that was made also drops
-- up to 32 entries already expired (after the writes, so that a write refused at the memory limit has
-- changed nothing), and the set stays as large as what is live.
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 32)
if #stale > 0 then redis.call('ZREM', KEYS[1], unpack(stale)) end
return first
)lua";

// Deletes a record and its traces, returning it. KEYS: record, expiry set. ARGV: key, {prefix}.
inline constexpr std::string_view redis_take_lua = R"lua(
local r = redis.call('HMGET', KEYS[1], 'v', 's', 'e')
if not r[1] and not r[2] and not r[3] then return false end
if not (r[1] and r[2] and r[3]) then return redis.error_reply('tessera: a damaged record') end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if r[2] ~= '' then redis.call('SREM', ARGV[2] .. 'i:' .. r[2], ARGV[1]) end
return r
)lua";

// The records listed under an index entry; entries whose record is gone are dropped.
// KEYS: index. ARGV: index entry, {prefix}.
inline constexpr std::string_view redis_list_lua = R"lua(
local out = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local r = redis.call('HMGET', ARGV[2] .. 'r:' .. key, 'v', 's', 'e')
  if (r[1] or r[2] or r[3]) and not (r[1] and r[2] and r[3]) then
    return redis.error_reply('tessera: a damaged record')
  end
  if r[3] and r[2] == ARGV[1] then
    out[#out + 1] = key; out[#out + 1] = r[1]; out[#out + 1] = r[3]
  else
    redis.call('SREM', KEYS[1], key)
  end
end
return out
)lua";

// Erases every record listed under an index entry, in one step; returns how many were live.
// KEYS: index, expiry set. ARGV: index entry, now, {prefix}.
inline constexpr std::string_view redis_erase_subject_lua = R"lua(
local live = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local record = ARGV[3] .. 'r:' .. key
  local r = redis.call('HMGET', record, 's', 'e')
  if r[1] == ARGV[1] then
    redis.call('DEL', record)
    redis.call('ZREM', KEYS[2], key)
    if not r[2] or tonumber(r[2]) > tonumber(ARGV[2]) then live = live + 1 end
  end
end
redis.call('DEL', KEYS[1])
return live
)lua";

// Adds to a counter (a dead one restarts at 0), extending, never shortening, its expiry.
// KEYS: counter. ARGV: delta, expires_at, now, ttl ms.
inline constexpr std::string_view redis_increment_lua = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
if not e or tonumber(e) <= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  e = nil
end
local n = redis.call('HINCRBY', KEYS[1], 'n', ARGV[1])
if not e or tonumber(ARGV[2]) > tonumber(e) then
  redis.call('HSET', KEYS[1], 'e', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return n
)lua";

// Removes up to ARGV[2] expired records and their traces. KEYS: expiry set. ARGV: now, budget, {prefix}.
inline constexpr std::string_view redis_purge_lua = R"lua(
local purged = 0
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))) do
  local record = ARGV[3] .. 'r:' .. key
  local r = redis.call('HMGET', record, 's', 'e')
  if not r[2] or tonumber(r[2]) <= tonumber(ARGV[1]) then
    if r[2] then redis.call('DEL', record) end
    if r[1] and r[1] ~= '' then redis.call('SREM', ARGV[3] .. 'i:' .. r[1], key) end
    purged = purged + 1
  end
  redis.call('ZREM', KEYS[1], key)
end
return purged
)lua";

enum class redis_op : std::size_t { writes, take, list, erase_subject, increment, purge };

/// The scripts, in `redis_op` order.
inline constexpr std::array<std::string_view, 6> redis_scripts{redis_writes_lua,        redis_take_lua,
                                                               redis_list_lua,          redis_erase_subject_lua,
                                                               redis_increment_lua,     redis_purge_lua};

} // namespace tessera::inline v0::detail
