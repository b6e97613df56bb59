--[[
  Drops the tags of a group whose latest join is older than the group expiry and returns the
  others: the rosters groupSend must visit.

  KEYS[1]   group sorted set (prefix:group:{group}): tag -> latest join time (ms)
  ARGV[1]   group expiry in milliseconds

  Returns the tags (a general channel's name, or a specific channel's non-local name `a.b!`).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZRANGE', KEYS[1], 0, -1)
