-- Token bucket: one atomic decision. bucket.go's takeBucket is the same
-- algorithm in Go, with the reasons; keep the two in step.
--
-- KEYS[1]  the bucket: a hash of t (contents, micro-units) and ts (Unix us)
-- ARGV[1]  now, Unix microseconds, from the caller's clock
-- ARGV[2]  rate: units per second, which is micro-units per microsecond
-- ARGV[3]  capacity, micro-units
-- ARGV[4]  cost, micro-units
-- ARGV[5]  expiry, milliseconds: the time to fill from empty, plus slack
--
-- Returns {allowed (1 or 0), whole units remaining, microseconds to wait}.
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local need = tonumber(ARGV[4])

local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local stored, ts, tsArg = tonumber(state[1]), tonumber(state[2]), state[2]
if stored == nil or ts == nil then
  stored, ts, tsArg = capacity, now, ARGV[1]
end

local tokens = stored
if now > ts then
  -- A clock behind ts (skew between replicas) refills nothing and leaves ts.
  tokens = stored + (now - ts) * rate
  tsArg = ARGV[1]
end
if tokens > capacity then
  tokens = capacity
end

if tokens >= need then
  tokens = tokens - need
  -- %.17g: Lua's default tostring keeps only 14 digits.
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'ts', tsArg)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {1, math.floor(tokens / 1000000), 0}
end

-- Denied, nothing written. The fewest whole microseconds e after ts at which
-- the refill reaches need, settled against the refill's own rounding.
local e = math.ceil((need - stored) / rate)
while stored + e * rate < need do
  e = e + 1
end
while e > 1 and stored + (e - 1) * rate >= need do
  e = e - 1
end
return {0, math.floor(tokens / 1000000), ts + e - now}
