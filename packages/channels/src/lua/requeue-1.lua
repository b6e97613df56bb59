--[[
  Puts general-channel messages that were popped but not delivered (their receiver went away) back at the head
  of their queue, in their original order, unless they expired meanwhile. Capacity is not
  checked: these messages were admitted once already.

  KEYS[1]      queue list
  ARGV[1..m]   stored elements, oldest first

  Returns the number of elements put back.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local keep = {}
local latest = 0
for i = #ARGV, 1, -1 do
  local expiresAt = tonumber(string.sub(ARGV[i], 2, 14))
  if not expiresAt or expiresAt > now then
    keep[#keep + 1] = ARGV[i]
    if expiresAt and expiresAt > latest then latest = expiresAt end
  end
end
if #keep == 0 then return 0 end
local length = redis.call('LPUSH', KEYS[1], unpack(keep))
if latest > 0 then
  if length == #keep then
    redis.call('PEXPIRE', KEYS[1], latest - now)
  else
    redis.call('PEXPIRE', KEYS[1], latest - now, 'GT')
  end
end
return #keep
