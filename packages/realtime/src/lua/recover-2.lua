-- Reads a channel's position, and the messages after a client's offset, after trimming expired ones.
-- KEYS[1] history stream, KEYS[2] meta hash (e = epoch, o = top offset)
-- ARGV[1] ttl ms, ARGV[2] meta ttl ms, ARGV[3] epoch candidate (used when the channel has none)
-- ARGV[4] 'position' (no recovery) or 'recover'
-- ARGV[5] the client's epoch, ARGV[6] the client's last offset, ARGV[7] most messages to return
-- Returns { status, epoch, top offset, entries trimmed by expiry, entries (oldest last) }, status:
--   'position' no recovery asked          'ok'      every missed message is returned
--   'epoch'    the epoch changed           'trimmed' some missed messages were trimmed (capacity/expiry)
--   'limit'    more missed than ARGV[7]    'ahead'   the client's offset is beyond the top
local ttl = tonumber(ARGV[1])
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local byExpiry = redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d', nowMs - ttl) .. '-0')

local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[3]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch, 'o', 0)
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local top = tonumber(redis.call('HGET', KEYS[2], 'o'))

if ARGV[4] == 'position' then return { 'position', epoch, top, byExpiry } end
if ARGV[5] ~= epoch then return { 'epoch', epoch, top, byExpiry } end
local since = tonumber(ARGV[6])
if since > top then return { 'ahead', epoch, top, byExpiry } end
local missed = top - since
if missed == 0 then return { 'ok', epoch, top, byExpiry, {} } end
if missed > redis.call('XLEN', KEYS[1]) then return { 'trimmed', epoch, top, byExpiry } end
if missed > tonumber(ARGV[7]) then return { 'limit', epoch, top, byExpiry } end
local entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', missed)
if #entries < missed then return { 'trimmed', epoch, top, byExpiry } end
return { 'ok', epoch, top, byExpiry, entries }
