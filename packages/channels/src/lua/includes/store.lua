-- Shared by enqueue-n.lua and group-enqueue-n.lua: storing one message for channels, each within
-- its capacity. Expects the globals-free locals `now` (epoch ms, Redis clock), `expiry` (ms),
-- `envelope` and `expiresAt` (13 digits) to be defined before the include.

-- Keys hold data only as long as their newest message lives: a TTL on a new key, extended otherwise.
local function extend(key, created)
  if created then
    redis.call('PEXPIRE', key, expiry)
  else
    redis.call('PEXPIRE', key, expiry, 'GT')
  end
end

-- Appends the message to a general channel's queue; false when the queue is full of unexpired messages.
local element = 'A' .. expiresAt .. envelope
local function pushGeneral(key, capacity)
  local length = redis.call('RPUSH', key, element)
  if length > capacity then
    -- Take it back, drop expired messages from the head, and add it only if there is room now.
    redis.call('RPOP', key)
    length = length - 1
    while length > 0 do
      local head = redis.call('LINDEX', key, 0)
      local headExpiry = head and tonumber(string.sub(head, 2, 14))
      if not headExpiry or headExpiry > now then break end
      redis.call('LPOP', key)
      length = length - 1
    end
    if length >= capacity then return false end
    length = redis.call('RPUSH', key, element)
  end
  extend(key, length == 1)
  return true
end

-- Stores the message for specific channels of one tag (locals = the names after the '!'):
-- one inbox entry naming those under capacity, whose counts grow by one. Returns the full ones.
-- `capacities` is a list parallel to `locals`, or a single number for all of them.
--
-- The count hash's '#' field holds until when (13-digit epoch ms) the inbox and the count hash
-- are known to live, padded past hash-max-listpack-value so that the hash keeps the hashtable
-- encoding (with a listpack every field of HMGET/HSET would scan the whole hash). The TTLs are
-- renewed to twice the expiry only when that horizon is nearer than one expiry: two PEXPIREs
-- per expiry period instead of two per message.
local function pushSpecificChunk(inbox, count, locals, capacities)
  local counts = redis.call('HMGET', count, '#', unpack(locals))
  local fresh = not counts[1]
  local liveUntil = (not fresh and tonumber(string.sub(counts[1], 1, 13))) or 0
  local renew = liveUntil < now + expiry
  local update = {}
  local n = 0
  if renew then
    liveUntil = now + 2 * expiry
    update[1] = '#'
    update[2] = string.format('%013d', liveUntil) .. string.rep('-', 70)
    n = 2
  end
  local full = {}
  local uniform = type(capacities) == 'number' and capacities
  for k = 1, #locals do
    local held = tonumber(counts[k + 1]) or 0
    if held < (uniform or capacities[k]) then
      update[n + 1] = locals[k]
      update[n + 2] = held + 1
      n = n + 2
    else
      full[#full + 1] = locals[k]
    end
  end
  local accepted = #locals - #full
  if accepted == 0 then return full end
  local names = locals
  if #full > 0 then
    -- The accepted names are the odd entries of `update` after the optional '#' pair.
    names = {}
    local offset = renew and 2 or 0
    for k = 1, accepted do names[k] = update[offset + 2 * k - 1] end
  end
  redis.call('HSET', count, unpack(update, 1, n))
  local length = redis.call('RPUSH', inbox, 'B' .. expiresAt .. table.concat(names, ',') .. '\0' .. envelope)
  if renew then
    if length == 1 then redis.call('PEXPIRE', inbox, 2 * expiry) else redis.call('PEXPIRE', inbox, 2 * expiry, 'GT') end
    if fresh then redis.call('PEXPIRE', count, 2 * expiry) else redis.call('PEXPIRE', count, 2 * expiry, 'GT') end
  elseif length == 1 then
    -- The inbox was emptied (and so deleted) since: give the new one the known horizon.
    redis.call('PEXPIRE', inbox, liveUntil - now)
  end
  return full
end

-- Same, in chunks of 1000 names (Lua's unpack has a stack limit).
local function pushSpecific(inbox, count, locals, capacities)
  if #locals <= 1000 then return pushSpecificChunk(inbox, count, locals, capacities) end
  local full = {}
  for from = 1, #locals, 1000 do
    local part = {}
    local caps = type(capacities) == 'number' and capacities or {}
    for k = from, math.min(from + 999, #locals) do
      part[#part + 1] = locals[k]
      if type(capacities) ~= 'number' then caps[#caps + 1] = capacities[k] end
    end
    for _, name in ipairs(pushSpecificChunk(inbox, count, part, caps)) do full[#full + 1] = name end
  end
  return full
end
