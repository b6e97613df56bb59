--[[
  Lowers the per-channel message counts of a tag once its messages were received, expired or
  dropped by the receiving layer; a count that reaches 0 is removed.

  KEYS[1]      count hash (prefix:count:{tag})
  ARGV         pairs: local name, how many to release

  Returns the number of channels updated.
]]
local n = #ARGV / 2
if n == 0 then return 0 end
local names = {}
for i = 1, n do names[i] = ARGV[2 * i - 1] end
local counts = redis.call('HMGET', KEYS[1], unpack(names))
local update = {}
local gone = {}
for i = 1, n do
  local held = tonumber(counts[i])
  if held then
    local left = held - tonumber(ARGV[2 * i])
    if left > 0 then
      update[#update + 1] = names[i]
      update[#update + 1] = left
    else
      gone[#gone + 1] = names[i]
    end
  end
end
if #update > 0 then redis.call('HSET', KEYS[1], unpack(update)) end
if #gone > 0 then redis.call('HDEL', KEYS[1], unpack(gone)) end
return #update + #gone
