-- Fixed-window quota: one atomic decision. The caller picks the window from
-- its clock and names the counter after it, so a new window is a new key and
-- the expiry only reclaims memory.
--
-- KEYS[1]  this window's counter
-- ARGV[1]  max per window
-- ARGV[2]  cost
-- ARGV[3]  expiry, milliseconds: to the window's end, plus slack
--
-- Returns {allowed (1 or 0), remaining}.
local max = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + cost > max then
  return {0, max - used}
end
local n = redis.call('INCRBY', KEYS[1], cost)
if n == cost then
  -- The first charge in this window created the key.
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {1, max - n}
