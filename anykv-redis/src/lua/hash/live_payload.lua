-- `live_payload(stored, now)`, the value of a stored field if it is live, else `nil`.
local function live_payload(stored, now)
  if not stored then return nil end
  local header = string.sub(stored, 1, 1)
  if header == 'N' then return string.sub(stored, 2) end
  if header == 'E' and tonumber(string.sub(stored, 2, 17), 16) > now then
    return string.sub(stored, 18)
  end
  return nil
end
