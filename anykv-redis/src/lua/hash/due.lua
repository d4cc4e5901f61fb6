-- (Loaded after expiry_index.lua.) the due members of the expiry index and what they hold.
--
-- `due_members(index, now, native, count)`: up to `count` members scored at or before `now`
-- or, on a server that expires fields itself (`native`), before its own clock if that is
-- later (a field the server hides has a native expiry at or after the one in its header, but
-- the clocks of client and server may differ).
--
-- `settle_due(hash, index, now, native, due)`: the due fields that are held and expired by
-- their header (to leave out or delete), and how many fields the server had expired itself
-- and still held; members whose field is gone, has no expiry or a later one are dropped or
-- rescored on the way. On a `native` server an expired field may be hidden from every read yet
-- still counted by `HLEN` until the server's expiry cycle reaches it (Valkey 9 keeps it
-- through reads; Redis 8 deletes it when a read meets it): `read_due` removes such a field,
-- so `HLEN` afterwards counts only fields a read can see.
local function due_members(index, now, native, count)
  local until_ms = now
  if native then
    local time = redis.call('TIME')
    until_ms = math.max(now, tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
  end
  return redis.call('ZRANGEBYSCORE', index, '-inf', until_ms, 'LIMIT', 0, count)
end
local function read_due(hash, field, native)
  if not native then return redis.call('HGET', hash, field), false end
  local held = redis.call('HLEN', hash)
  local stored = redis.call('HGET', hash, field)
  if stored then return stored, false end
  if redis.call('HLEN', hash) < held then return nil, true end
  redis.call('HSET', hash, field, '')
  local hidden = redis.call('HLEN', hash) == held
  redis.call('HDEL', hash, field)
  return nil, hidden
end
local function settle_due(hash, index, now, native, due)
  local expired, hidden = {}, 0
  for _, field in ipairs(due) do
    local stored, was_hidden = read_due(hash, field, native)
    local at = stored and stored_expiry(stored)
    if at and at <= now then
      expired[#expired + 1] = field
    elseif stored then
      index_field(index, field, stored)
    else
      if was_hidden then hidden = hidden + 1 end
      redis.call('ZREM', index, field)
    end
  end
  return expired, hidden
end
