"""Lua scripts for the atomic transitions of RedisStore (one script per transition)."""

from __future__ import annotations

# KEYS of every script, in this order; all share the workflow's hash tag so a
# script touches one Redis Cluster slot.
KEY_NAMES = ("meta", "def", "st", "att", "rem", "res", "err", "kids", "ready", "unconf",
             "act", "due", "ev", "tmo", "ids", "lease")

PRELUDE = """
local META, DEF, ST, ATT, REM, RES, ERR, KIDS, READY, UNCONF, ACT, DUE, EV, TMO =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9],
  KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14]
local LEASE = KEYS[16]

-- Leases run on the Redis server's clock, the one clock every worker and tick share.
local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end

local function log(now, fields)
  fields['t'] = tonumber(now)
  redis.call('RPUSH', EV, cjson.encode(fields))
end

local function mget(field)
  return tonumber(redis.call('HGET', META, field) or '0')
end

local function set_node(idx, new, now)
  local old = redis.call('HGET', ST, idx)
  redis.call('HSET', ST, idx, new)
  redis.call('HINCRBY', META, 'c:' .. old, -1)
  redis.call('HINCRBY', META, 'c:' .. new, 1)
  log(now, {e='node', node=tonumber(idx), state=new,
            attempt=tonumber(redis.call('HGET', ATT, idx) or '0')})
end

local function set_wf(new, now)
  redis.call('HSET', META, 'state', new)
  if new == 'SUCCESS' or new == 'FAILURE' or new == 'CANCELLED' then
    redis.call('HSET', META, 'finished', now)
  end
  log(now, {e='workflow', state=new})
  return new
end

local function release(idx, now, ready)
  local kids = redis.call('HGET', KIDS, idx)
  if not kids then return end
  for kid in string.gmatch(kids, '[^,]+') do
    if redis.call('HINCRBY', REM, kid, -1) == 0 and redis.call('HGET', ST, kid) == 'PENDING' then
      set_node(kid, 'READY', now)
      redis.call('RPUSH', READY, kid)
      table.insert(ready, tonumber(kid))
    end
  end
end

local function settle(now)
  local state = redis.call('HGET', META, 'state')
  if state == 'SUCCESS' or state == 'FAILURE' or state == 'CANCELLED' then return false end
  if mget('done') == mget('n') then return set_wf('SUCCESS', now) end
  if mget('failed') > 0 and mget('active') == 0 then return set_wf('FAILURE', now) end
  return false
end

local function claim(now, limit)
  local out = {}
  if redis.call('HGET', META, 'state') ~= 'RUNNING' or mget('failed') > 0 then return out end
  local cap = mget('max_active')
  local n = 0
  while n < limit do
    if cap > 0 and mget('active') >= cap then break end
    local idx = redis.call('LPOP', READY)
    if not idx then break end
    if redis.call('HGET', ST, idx) == 'READY' then
      local att = redis.call('HINCRBY', ATT, idx, 1)
      set_node(idx, 'DISPATCHED', now)
      redis.call('HINCRBY', META, 'active', 1)
      redis.call('ZADD', UNCONF, now, idx)
      redis.call('ZADD', ACT, now, idx)
      table.insert(out, tonumber(idx))
      table.insert(out, att)
      table.insert(out, redis.call('HGET', DEF, idx))
      n = n + 1
    end
  end
  return out
end

local function finish_active(idx, now)
  redis.call('HSET', META, 'progress', now)
  redis.call('ZREM', UNCONF, idx)
  redis.call('ZREM', ACT, idx)
  redis.call('ZREM', DUE, idx)
  redis.call('ZREM', LEASE, idx)
  redis.call('HINCRBY', META, 'active', -1)
end

-- A node to send again under a new attempt, whose number fences the old one out; its
-- index, attempt and definition appended to out.
local function new_attempt(idx, now, event, out)
  local att = redis.call('HINCRBY', ATT, idx, 1)
  redis.call('ZADD', ACT, now, idx)
  redis.call('ZADD', UNCONF, now, idx)
  log(now, {e=event, node=tonumber(idx), attempt=att})
  table.insert(out, tonumber(idx))
  table.insert(out, att)
  table.insert(out, redis.call('HGET', DEF, idx))
end

local function is_active(idx, attempt)
  if redis.call('HGET', ATT, idx) ~= attempt then return false end
  local s = redis.call('HGET', ST, idx)
  return s == 'DISPATCHED' or s == 'RUNNING'
end

local function require_state(...)
  local state = redis.call('HGET', META, 'state')
  for _, allowed in ipairs({...}) do
    if state == allowed then return end
  end
  error('DYRYGENT_INVALID workflow is ' .. tostring(state))
end

local function active_list()
  local out = {}
  local rows = redis.call('ZRANGE', ACT, 0, -1, 'WITHSCORES')
  for i = 1, #rows, 2 do
    local idx = rows[i]
    table.insert(out, tonumber(idx))
    table.insert(out, tonumber(redis.call('HGET', ATT, idx)))
    table.insert(out, rows[i + 1])
    table.insert(out, redis.call('HGET', ST, idx))
  end
  return out
end
"""

CLAIM = "return claim(ARGV[1], tonumber(ARGV[2]))"

START = """
local idx, attempt, now, lease = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('HGET', ATT, idx) ~= attempt then return 0 end
local s = redis.call('HGET', ST, idx)
if s ~= 'RUNNING' and s ~= 'DISPATCHED' then return 0 end
if lease > 0 then
  -- The worker that took it holds it from now (a retry's message too: never shortened).
  local until_ = server_now() + lease
  if until_ > tonumber(redis.call('ZSCORE', LEASE, idx) or '0') then
    redis.call('ZADD', LEASE, until_, idx)
  end
end
if s == 'RUNNING' then return 2 end
set_node(idx, 'RUNNING', now)
redis.call('HSET', META, 'progress', now)
redis.call('ZREM', UNCONF, idx)
local timeout = redis.call('HGET', TMO, idx)
if timeout then redis.call('ZADD', DUE, tonumber(now) + tonumber(timeout), idx) end
return 1
"""

COMPLETE = """
local idx, attempt, result, now, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
if not is_active(idx, attempt) then return {0} end
redis.call('HSET', RES, idx, result)
set_node(idx, 'SUCCESS', now)
finish_active(idx, now)
redis.call('HINCRBY', META, 'done', 1)
local ready = {}
release(idx, now, ready)
local state = settle(now)
return {1, state or '', ready, claim(now, limit)}
"""

FAIL = """
local idx, attempt, err, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if not is_active(idx, attempt) then return {0} end
redis.call('HSET', ERR, idx, err)
set_node(idx, 'FAILURE', now)
finish_active(idx, now)
redis.call('HINCRBY', META, 'failed', 1)
local state = settle(now)
return {1, state or '', {}, {}}
"""

PAUSE = """
require_state('RUNNING')
return {1, set_wf('PAUSED', ARGV[1]), {}, {}}
"""

RESUME = """
require_state('PAUSED')
local now = ARGV[1]
local state = set_wf('RUNNING', now)
state = settle(now) or state
return {1, state, {}, claim(now, tonumber(ARGV[2]))}
"""

STOP = """
local final, now, reason = ARGV[1], ARGV[2], ARGV[3]
if final == 'CANCELLED' then
  require_state('RUNNING', 'PAUSED', 'FAILURE')
else
  require_state('RUNNING', 'PAUSED')
end
local was = active_list()
for i = 1, #was, 4 do
  local idx = tostring(was[i])
  if final == 'CANCELLED' then
    set_node(idx, 'CANCELLED', now)
  else
    set_node(idx, 'FAILURE', now)
    redis.call('HSET', ERR, idx, cjson.encode({type='DeadlineExceeded', message=reason}))
    redis.call('HINCRBY', META, 'failed', 1)
  end
end
if final == 'CANCELLED' then
  local states = redis.call('HGETALL', ST)
  for i = 1, #states, 2 do
    if states[i + 1] == 'PENDING' or states[i + 1] == 'READY' then
      set_node(states[i], 'CANCELLED', now)
    end
  end
else
  redis.call('HSET', META, 'reason', reason, 'deadline', '')
end
redis.call('DEL', READY, UNCONF, ACT, DUE, LEASE)
redis.call('HSET', META, 'active', 0)
set_wf(final, now)
return was
"""

RETRY = """
require_state('FAILURE', 'RUNNING')
local now, limit = ARGV[1], tonumber(ARGV[2])
local failed = redis.call('HKEYS', ERR)
table.sort(failed, function(a, b) return tonumber(a) < tonumber(b) end)
local ready = {}
for _, idx in ipairs(failed) do
  set_node(idx, 'READY', now)
  redis.call('RPUSH', READY, idx)
  table.insert(ready, tonumber(idx))
end
redis.call('DEL', ERR)
redis.call('HSET', META, 'failed', 0, 'reason', '')
local state = ''
if redis.call('HGET', META, 'state') ~= 'RUNNING' then state = set_wf('RUNNING', now) end
return {1, state, ready, claim(now, limit)}
"""

SKIP = """
require_state('RUNNING', 'PAUSED', 'FAILURE')
local idx, now, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local old = redis.call('HGET', ST, idx)
if old ~= 'PENDING' and old ~= 'READY' and old ~= 'FAILURE' then
  error('DYRYGENT_INVALID cannot skip node in state ' .. tostring(old))
end
if old == 'FAILURE' then
  redis.call('HDEL', ERR, idx)
  redis.call('HINCRBY', META, 'failed', -1)
end
set_node(idx, 'SKIPPED', now)
redis.call('HINCRBY', META, 'done', 1)
local ready = {}
release(idx, now, ready)
local state = false
if redis.call('HGET', META, 'state') == 'FAILURE' and mget('failed') == 0 then
  state = set_wf('RUNNING', now)
end
state = settle(now) or state
return {1, state or '', ready, claim(now, limit)}
"""

RECLAIM = """
local rows = redis.call('ZRANGEBYSCORE', UNCONF, '-inf', '(' .. ARGV[1])
local out = {}
for _, idx in ipairs(rows) do
  redis.call('ZADD', UNCONF, ARGV[2], idx)
  table.insert(out, tonumber(idx))
  table.insert(out, tonumber(redis.call('HGET', ATT, idx)))
  table.insert(out, redis.call('HGET', DEF, idx))
end
return out
"""

REDISPATCH = """
local before, now = ARGV[1], ARGV[2]
local out = {}
-- Nodes merely queued behind a deep backlog look lost too; while any node of the
-- workflow starts or finishes, the queue is moving and nothing is re-sent.
local progress = redis.call('HGET', META, 'progress') or redis.call('HGET', META, 'created')
if tonumber(progress) >= tonumber(before) then return out end
local rows = redis.call('ZRANGEBYSCORE', ACT, '-inf', '(' .. before)
for _, idx in ipairs(rows) do
  if redis.call('HGET', ST, idx) == 'DISPATCHED' and not redis.call('ZSCORE', UNCONF, idx) then
    new_attempt(idx, now, 'redispatch', out)
  end
end
if #out > 0 then redis.call('HSET', META, 'progress', now) end
return out
"""

HOLD = """
local idx, attempt, seconds = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('HGET', ATT, idx) ~= attempt or redis.call('HGET', ST, idx) ~= 'RUNNING' then
  return 0
end
-- Never shortened: a retry's countdown may have held it longer than a heartbeat does.
local until_ = server_now() + seconds
if until_ > tonumber(redis.call('ZSCORE', LEASE, idx) or '0') then
  redis.call('ZADD', LEASE, until_, idx)
end
return 1
"""

EXPIRE_LEASES = """
local now = ARGV[1]
local out = {}
for _, idx in ipairs(redis.call('ZRANGEBYSCORE', LEASE, '-inf', '(' .. server_now())) do
  redis.call('ZREM', LEASE, idx)
  if redis.call('HGET', ST, idx) == 'RUNNING' then
    -- Its worker stopped renewing.
    set_node(idx, 'DISPATCHED', now)
    redis.call('ZREM', DUE, idx)
    new_attempt(idx, now, 'lease-expired', out)
  end
end
return out
"""

ADVANCE_TICK = """
if redis.call('HGET', META, 'tick') ~= ARGV[1] then return 0 end
redis.call('HSET', META, 'tick', tonumber(ARGV[1]) + 1)
return 1
"""
