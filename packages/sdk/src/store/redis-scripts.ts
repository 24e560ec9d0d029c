/**
 * The Lua scripts of the Redis store: each shared-state operation is one script, so it is atomic
 * and one round trip. Times come from the server's `TIME`, never from the callers' clocks.
 */

// Server time in ms.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS[1] zset token → expiry. ARGV: limit, leaseMs, token… Returns how many tokens were taken. A
 * token already held counts as taken (renewed): asking again after a lost answer is safe.
 */
export const ACQUIRE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local lease = tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    if free <= 0 then break end
    free = free - 1
  end
  redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
  n = n + 1
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], lease * 2) end
return n`;

/** KEYS[1] zset. ARGV: token, limit, channel, message. Publishes when the semaphore was full. */
export const RELEASE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local full = redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2])
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 1 and full then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return removed`;

/**
 * KEYS: one per lease. ARGV: leaseMs, force ('1'/'0'), then per lease: kind ('s' slot, 'r'
 * reservation), token, usd. Returns how many leases were missing.
 */
export const RENEW = `${NOW}
local lease = tonumber(ARGV[1])
local force = ARGV[2] == '1'
local missing = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local kind = ARGV[3 * i]
  local token = ARGV[3 * i + 1]
  if kind == 's' then
    if redis.call('ZSCORE', key, token) then
      redis.call('ZADD', key, now + lease, token)
    else
      missing = missing + 1
      if force then redis.call('ZADD', key, now + lease, token) end
    end
    redis.call('PEXPIRE', key, lease * 2)
  else
    local field = 'r:' .. token
    local held = redis.call('HGET', key, field)
    if held then
      local usd = string.sub(held, 1, string.find(held, '|', 1, true) - 1)
      redis.call('HSET', key, field, usd .. '|' .. (now + lease))
    else
      missing = missing + 1
      if force then redis.call('HSET', key, field, ARGV[3 * i + 2] .. '|' .. (now + lease)) end
    end
    -- The session lives at least as long as a reservation in it (a key re-created here has no
    -- TTL: it would outlive a router that crashed before settling).
    if redis.call('PTTL', key) < lease * 2 then redis.call('PEXPIRE', key, lease * 2) end
  end
end
return missing`;

/** KEYS[1]. ARGV: holder, ttlMs. 1 if the holder holds the key now (taken or extended). */
export const CLAIM = `local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** KEYS[1]. ARGV: holder. */
export const UNCLAIM = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

// A budget window is a hash of 10 buckets: d:<n> deposits, w:<n> withdrawals. Both scripts drop
// the buckets that left the window (deposits alone — healthy traffic, no retries — would
// otherwise add a field per bucket for as long as the key lives), and sum the rest.
const WINDOW = `local bucketMs = tonumber(ARGV[1]) / 10
local bucket = math.floor(now / bucketMs)
local all = redis.call('HGETALL', KEYS[1])
local deposits, withdrawals = 0, 0
for i = 1, #all, 2 do
  local n = tonumber(string.sub(all[i], 3))
  if n <= bucket - 10 then
    redis.call('HDEL', KEYS[1], all[i])
  elseif string.sub(all[i], 1, 1) == 'd' then
    deposits = deposits + tonumber(all[i + 1])
  else
    withdrawals = withdrawals + tonumber(all[i + 1])
  end
end`;

/** KEYS[1] hash. ARGV: windowMs, calls. */
export const DEPOSIT = `${NOW}
${WINDOW}
redis.call('HINCRBY', KEYS[1], 'd:' .. bucket, tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return 0`;

/** KEYS[1] hash. ARGV: windowMs, ratio, floor, force. 1 if a retry was taken. */
export const WITHDRAW = `${NOW}
${WINDOW}
if ARGV[4] ~= '1' and tonumber(ARGV[3]) + deposits * tonumber(ARGV[2]) - withdrawals < 1 then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'w:' .. bucket, 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return 1`;

// A session budget is a hash: 'spent' (USD) and one 'r:<token>' = '<usd>|<expiry>' per
// reservation. Sums are returned as strings: Lua numbers would come back truncated to integers.
const RESERVED = `local all = redis.call('HGETALL', KEYS[1])
local spent, reserved = 0, 0
for i = 1, #all, 2 do
  local field, value = all[i], all[i + 1]
  if field == 'spent' then
    spent = tonumber(value)
  elseif string.sub(field, 1, 2) == 'r:' then
    local bar = string.find(value, '|', 1, true)
    if tonumber(string.sub(value, bar + 1)) <= now then
      redis.call('HDEL', KEYS[1], field)
    else
      reserved = reserved + tonumber(string.sub(value, 1, bar - 1))
    end
  end
end`;

/** KEYS[1] hash. ARGV: token, usd, budgetUsd, leaseMs, ttlMs. Returns {granted, spent, reserved}. */
export const RESERVE = `${NOW}
${RESERVED}
local usd = tonumber(ARGV[2])
local granted = 0
if spent + reserved + usd <= tonumber(ARGV[3]) * (1 + 1e-9) then
  redis.call('HSET', KEYS[1], 'r:' .. ARGV[1], ARGV[2] .. '|' .. (now + tonumber(ARGV[4])))
  reserved = reserved + usd
  granted = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {granted, string.format('%.17g', spent), string.format('%.17g', reserved)}`;

/**
 * KEYS[1] hash, KEYS[2] zset of settled tokens → when. ARGV: token, spentUsd, ttlMs. Returns
 * {spent, reserved}. Books once per token: a settle replayed because its answer was lost (it
 * happened, the router timed out) books nothing again. The last 1000 tokens are remembered.
 */
export const SETTLE = `${NOW}
redis.call('HDEL', KEYS[1], 'r:' .. ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('HINCRBYFLOAT', KEYS[1], 'spent', ARGV[2])
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1001)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
${RESERVED}
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {string.format('%.17g', spent), string.format('%.17g', reserved)}`;

/** KEYS[1] hash. ARGV: field, value, ttlMs. */
export const PUT = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0`;
