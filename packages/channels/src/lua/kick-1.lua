--[[
  Wakes a receive loop blocked in BLPOP on its kick list, e.g. because a new channel is wanted.

  KEYS[1]   kick list (prefix:kick:{tag}loopId)
  ARGV[1]   time to live of the kick list in milliseconds

  Returns 1.
]]
redis.call('RPUSH', KEYS[1], '1')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
