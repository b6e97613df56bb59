--[[
  groupSend for the parts of one group that live in one slot. A part is a roster: the members of
  the group among the channels of one tag (the specific channels of one `a.b!`, or one general
  channel). Drops members that joined longer than the group expiry ago, then stores the message
  for every remaining member within its capacity (see enqueue-n.lua for the layout).

  For each part j (stride 3):
    KEYS[3j-2]          roster sorted set (prefix:roster:{tag}:group): local name -> join time (ms),
                        the single member '' for a general channel
    KEYS[3j-1], [3j]    specific tag: its inbox list and count hash; general channel: its queue twice
  ARGV[1]               envelope
  ARGV[2]               expiry in milliseconds
  ARGV[3]               group expiry in milliseconds
  ARGV[4]               number of parts
  ARGV[5+3(j-1)]        'g' (general channel) or 's' (specific tag)
  ARGV[6+3(j-1)]        capacity of the part's channels
  ARGV[7+3(j-1)]        the tag (ends with '!') or the general channel name

  Returns { now_ms, { delivered per part }, full channel name... }
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local envelope = ARGV[1]
local expiry = tonumber(ARGV[2])
local expiresAt = string.format('%013d', now + expiry)
--- @include "store"

local cutoff = '(' .. string.format('%d', now - tonumber(ARGV[3]))
local parts = tonumber(ARGV[4])
local delivered = {}
local result = { now, delivered }
for j = 1, parts do
  delivered[j] = 0
  local roster = KEYS[3 * j - 2]
  local kind = ARGV[5 + 3 * (j - 1)]
  local capacity = tonumber(ARGV[6 + 3 * (j - 1)])
  local name = ARGV[7 + 3 * (j - 1)]
  if kind == 'g' then
    if #redis.call('ZRANGE', roster, cutoff, '+inf', 'BYSCORE', 'LIMIT', 0, 1) > 0 then
      if pushGeneral(KEYS[3 * j - 1], capacity) then
        delivered[j] = 1
      else
        result[#result + 1] = name
      end
    end
  else
    local locals = redis.call('ZRANGE', roster, cutoff, '+inf', 'BYSCORE')
    if #locals > 0 then
      local full = pushSpecific(KEYS[3 * j - 1], KEYS[3 * j], locals, capacity)
      delivered[j] = #locals - #full
      for _, l in ipairs(full) do result[#result + 1] = name .. l end
    end
  end
end
return result
