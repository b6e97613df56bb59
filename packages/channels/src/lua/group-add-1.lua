--[[
  Records a join time (Redis clock) in a sorted set, deletes the members that joined longer
  than the group expiry ago, and renews its TTL. Used twice per groupAdd: on the group (member:
  the channel's tag) and on the roster of that tag in the group (member: the channel's local
  name, '' for a general channel).

  KEYS[1]   group (prefix:group:{group}) or roster (prefix:roster:{tag}:group) sorted set
  ARGV[1]   member
  ARGV[2]   group expiry in milliseconds

  Returns 1.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - expiry)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], expiry)
return 1
