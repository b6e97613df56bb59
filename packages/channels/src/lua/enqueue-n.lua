--[[
  Stores one message for channels of one slot, each within its own capacity, atomically (send).

  A general channel has its own queue list. The process-specific channels of one non-local name
  (tag, `a.b!`) share an inbox list, which gets ONE entry naming all of them, and a count hash
  holding, per channel, its messages not yet received: that count is checked against capacity.

  KEYS[1..g]            queue lists of the general channels
  KEYS[g+2j-1], [g+2j]  inbox list and count hash of tag j (j = 1..t)
  ARGV[1]               envelope (serialized, maybe encrypted message)
  ARGV[2]               expiry in milliseconds
  ARGV[3]               g
  ARGV[4]               t
  ARGV[5..4+g]          capacity of each general queue
  then for each tag j:  m_j, the m_j local names (after the '!'), their m_j capacities

  Queue element: 'A' .. 13-digit expiry (epoch ms, Redis clock) .. envelope
  Inbox entry:   'B' .. 13-digit expiry .. comma-separated local names .. '\0' .. envelope
  Returns { now_ms, i, ... }: the Redis time, then the 1-based positions of the full channels,
  counting the general channels first, then the locals of each tag in order.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local envelope = ARGV[1]
local expiry = tonumber(ARGV[2])
local expiresAt = string.format('%013d', now + expiry)
--- @include "store"

local g = tonumber(ARGV[3])
local tags = tonumber(ARGV[4])
local result = { now }
for i = 1, g do
  if not pushGeneral(KEYS[i], tonumber(ARGV[4 + i])) then result[#result + 1] = i end
end

local arg = 5 + g
local position = g
for j = 1, tags do
  local m = tonumber(ARGV[arg])
  local locals = {}
  local capacities = {}
  for k = 1, m do
    locals[k] = ARGV[arg + k]
    capacities[k] = tonumber(ARGV[arg + m + k])
  end
  local full = pushSpecific(KEYS[g + 2 * j - 1], KEYS[g + 2 * j], locals, capacities)
  if #full > 0 then
    local at = {}
    for k = 1, m do at[locals[k]] = position + k end
    for _, name in ipairs(full) do result[#result + 1] = at[name] end
  end
  position = position + m
  arg = arg + 1 + 2 * m
end

return result
