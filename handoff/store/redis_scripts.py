"""The Redis store's Lua scripts: each status change is one atomic script.

Every script gets the same three keys of one session, which share a hash tag
(``<prefix>:{<id>}:…``) so the scripts also run on Redis Cluster:
``KEYS[1]`` the session hash, ``KEYS[2]`` its upload lease, ``KEYS[3]`` its held
scan pages; and ``ARGV[1]`` the session's event channel, ``ARGV[2]`` how long
a tombstone lasts (ms). Each first expires the session if ``created_at +
session_ttl`` has passed by the server's clock, so a late timer never lets a
change through, and a change and its event are published together.
"""

PREAMBLE = """
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end

local function publish(at)
  local flat = redis.call('HGETALL', KEYS[1])
  local map = {}
  for i = 1, #flat, 2 do map[flat[i]] = flat[i + 1] end
  redis.call('PUBLISH', ARGV[1], cjson.encode({at = at, record = map}))
  return flat
end

-- Whether this call expired the session: its caller's process announces the change.
local expired_now = false

-- 'gone', 'live', 'expired' (it already was) or 'now' (this call expired it).
local function expire_if_due(at)
  local f = redis.call('HMGET', KEYS[1], 'status', 'created_at', 'session_ttl', 'id',
                       'owner', 'phone_token', 'client_secret', 'version', 'short_code',
                       'action_type')
  if not f[1] then return 'gone' end
  if f[1] == 'expired' then return 'expired' end
  if at < tonumber(f[2]) + tonumber(f[3]) then return 'live' end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  redis.call('HSET', KEYS[1], 'id', f[4], 'owner', f[5], 'phone_token', f[6],
             'client_secret', f[7], 'status', 'expired', 'version', tonumber(f[8]) + 1,
             'short_code', f[9] or '', 'action_type', f[10] or '', 'was', f[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  publish(at)
  expired_now = true
  return 'now'
end

-- The third element of a refusal: 'now' when this call expired the session.
local function closed_reply()
  return {'closed', redis.call('HGETALL', KEYS[1]), expired_now and 'now' or ''}
end

-- A scan's pages held: a new version for subscribers when the count changed (no status change).
local function progress(at, pages)
  if tonumber(redis.call('HGET', KEYS[1], 'scan_pages') or '0') == pages then return end
  redis.call('HSET', KEYS[1], 'scan_pages', pages)
  redis.call('HINCRBY', KEYS[1], 'version', 1)
  publish(at)
end

local function accepts_upload(status)
  return status == 'pending' or status == 'opened' or status == 'action_started'
end
"""

#: -> {outcome of expire_if_due, the hash}
EXPIRE = PREAMBLE + """
local outcome = expire_if_due(clock())
return {outcome, redis.call('HGETALL', KEYS[1])}
"""

#: ARGV[3] the new status, ARGV[4..] the statuses it may come from.
#: -> {'changed' | 'same' | 'now' (expired by this call) | 'gone' | 'expired', the hash}
ADVANCE = PREAMBLE + """
local at = clock()
local outcome = expire_if_due(at)
if outcome ~= 'live' then return {outcome, redis.call('HGETALL', KEYS[1])} end
local status = redis.call('HGET', KEYS[1], 'status')
for i = 4, #ARGV do
  if status == ARGV[i] then
    if redis.call('HGET', KEYS[1], 'opened_at') == '' then
      redis.call('HSET', KEYS[1], 'opened_at', at)
    end
    redis.call('HSET', KEYS[1], 'status', ARGV[3])
    redis.call('HINCRBY', KEYS[1], 'version', 1)
    return {'changed', publish(at)}
  end
end
return {'same', redis.call('HGETALL', KEYS[1])}
"""

#: ARGV[3] lease token, ARGV[4] lease ms. -> {'ok'} | {'busy'} | {'closed', hash, 'now' or ''}
ACQUIRE = PREAMBLE + """
expire_if_due(clock())
if accepts_upload(redis.call('HGET', KEYS[1], 'status')) then
  if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return {'ok'} end
  return {'busy'}
end
return closed_reply()
"""

#: KEYS[1] a lease, ARGV[1] its token: deleted only by its owner.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

#: ARGV[3] page field, ARGV[4] page bytes, ARGV[5] most pages.
#: -> {'ok', held} | {'finalizing'} | {'limit'} | {'closed', hash, 'now' or ''}
PUT_PAGE = PREAMBLE + """
local at = clock()
expire_if_due(at)
local f = redis.call('HMGET', KEYS[1], 'status', 'created_at', 'session_ttl')
if not accepts_upload(f[1]) then return closed_reply() end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'finalizing'} end
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 0
   and redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[5]) then
  return {'limit'}
end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
-- Held pages go with their session, and at the latest a minute after its deadline.
local left = math.ceil((tonumber(f[2]) + tonumber(f[3]) - at) * 1000) + 60000
redis.call('PEXPIRE', KEYS[3], left)
local held = redis.call('HLEN', KEYS[3])
progress(at, held)
return {'ok', held}
"""

#: -> {'ok'} | {'finalizing'} | {'closed', hash, 'now' or ''}
CLEAR_PAGES = PREAMBLE + """
expire_if_due(clock())
if not accepts_upload(redis.call('HGET', KEYS[1], 'status')) then
  return closed_reply()
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'finalizing'} end
redis.call('DEL', KEYS[3])
progress(clock(), 0)
return {'ok'}
"""

#: ARGV[3] lease token, ARGV[4] result JSON, ARGV[5] scan layout JSON or ''.
#: -> {'ok', hash} | {'busy'} | {'closed', hash, 'now' or ''}
COMPLETE = PREAMBLE + """
local at = clock()
expire_if_due(at)
if not accepts_upload(redis.call('HGET', KEYS[1], 'status')) then
  return closed_reply()
end
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return {'busy'} end
redis.call('HSET', KEYS[1], 'status', 'completed', 'result', ARGV[4],
           'scan_documents', ARGV[5], 'completed_at', at)
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('DEL', KEYS[2], KEYS[3])
return {'ok', publish(at)}
"""

#: ARGV[3] why ('' when the desktop cancelled).
#: -> {'gone'} | {'expired', 'now' or '', hash} | {'same', hash} | {'ok', old result JSON, hash}
CANCEL = PREAMBLE + """
local at = clock()
expire_if_due(at)
local f = redis.call('HMGET', KEYS[1], 'status', 'result')
if not f[1] then return {'gone'} end
if f[1] == 'expired' then
  return {'expired', expired_now and 'now' or '', redis.call('HGETALL', KEYS[1])}
end
if f[1] == 'cancelled' then return {'same', redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'result', '[]', 'scan_documents', '',
           'cancel_reason', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('DEL', KEYS[3])
return {'ok', f[2], publish(at)}
"""

#: KEYS[1] a session hash, ARGV[1] the version the caller holds.
#: -> false (gone) | that version, unchanged | the hash, when it changed
READ = """
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return false end
if version == ARGV[1] then return version end
return redis.call('HGETALL', KEYS[1])
"""
