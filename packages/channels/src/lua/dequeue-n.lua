--[[
  Pops, without blocking, up to a count of unexpired messages from each of g general queues
  (dropping expired ones) and up to a count of entries from each of t inboxes (their expiry is
  judged by the caller against the returned time, and their counts released by release-1.lua).

  KEYS[1..g]         queue lists of general channels
  KEYS[g+1..g+t]     inbox lists of specific-channel tags
  ARGV[1]            g
  ARGV[2]            t
  ARGV[3..2+g]       most messages to pop from each queue
  ARGV[3+g]          most entries to pop from each inbox

  Returns { now_ms, { remaining, expired, element... } x g, { entry... } x t }
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local g = tonumber(ARGV[1])
local tags = tonumber(ARGV[2])
local result = { now }

for i = 1, g do
  local key = KEYS[i]
  local want = tonumber(ARGV[2 + i])
  local out = { 0, 0 }
  local got = 0
  local expired = 0
  while got < want do
    local batch = redis.call('LPOP', key, want - got)
    if not batch then break end
    for _, element in ipairs(batch) do
      local expiresAt = tonumber(string.sub(element, 2, 14))
      if expiresAt and expiresAt <= now then
        expired = expired + 1
      else
        got = got + 1
        out[2 + got] = element
      end
    end
  end
  out[1] = redis.call('LLEN', key)
  out[2] = expired
  result[1 + i] = out
end

local most = tonumber(ARGV[3 + g])
for j = 1, tags do
  result[1 + g + j] = redis.call('LPOP', KEYS[g + j], most) or {}
end

return result
