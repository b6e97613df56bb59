-- Appends one message to a channel's history, trims it, and fans it out, atomically.
-- KEYS[1] history stream (entries: o = offset, t = publish time ms, d = codec-encoded payload)
-- KEYS[2] meta hash (e = epoch, o = top offset)
-- ARGV[1] capacity            most entries kept (exact MAXLEN trim)
-- ARGV[2] ttl ms              entries older than this are trimmed (MINID on the entry time)
-- ARGV[3] meta ttl ms         how long the epoch and top offset outlive the last activity
-- ARGV[4] epoch candidate     used when the channel has no epoch yet (new, or forgotten)
-- ARGV[5] publish time ms     stored with the entry
-- ARGV[6] payload             stored as is
-- ARGV[7] publish command     '' (none), 'PUBLISH' (classic adapter) or 'SPUBLISH' (sharded adapter)
-- ARGV[8] pub/sub channel     the adapter's room channel (same hash tag as the keys)
-- ARGV[9] frame format        'json' or 'msgpack'
-- ARGV[10..12] frame head, mid, tail: the published frame is head..epoch..mid..offset..tail
-- Returns { offset, epoch, entries trimmed by capacity, entries trimmed by expiry }.
local capacity = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[4]
  -- entries of a forgotten epoch must never be served under the new one
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch, 'o', 0)
end
local offset = redis.call('HINCRBY', KEYS[2], 'o', 1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])

redis.call('XADD', KEYS[1], '*', 'o', offset, 't', ARGV[5], 'd', ARGV[6])
local byCapacity = redis.call('XTRIM', KEYS[1], 'MAXLEN', capacity)
local byExpiry = redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d', nowMs - ttl) .. '-0')
redis.call('PEXPIRE', KEYS[1], ttl)

local command = ARGV[7]
if command ~= '' then
  local e, o
  if ARGV[9] == 'json' then
    e = '"' .. epoch .. '"'
    o = string.format('%d', offset)
  else
    e = cmsgpack.pack(epoch)
    o = cmsgpack.pack(offset)
  end
  redis.call(command, ARGV[8], ARGV[10] .. e .. ARGV[11] .. o .. ARGV[12])
end

return { offset, epoch, byCapacity, byExpiry }
