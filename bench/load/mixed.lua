-- scripts/bench-load, scenario 2 (mixed stream): page reads plus reader writes, POST reactions and
-- POST comments, each write carrying a nonce unique to the run. Run with one connection per
-- thread (-c = -t): wrk does not say which request a response answers, but on one connection
-- without pipelining request() and response() alternate, so the thread knows.
--
-- Config (args[1], a Lua file): {run, seed, reaction_pct, comment_pct, types = {...},
-- posts = {{host=, slug=, id=}, ...}, reads = {{host=, path=}, ...}, readers = {token, ...}}.
-- Thread t writes as the readers i with (i - 1) % threads == t, so two threads never share one.
--
-- Reactions toggle: a (reader, post, type) is used once in the run, so every acknowledged toggle
-- must turn a reaction on, and D1's reaction_counts must grow by exactly the acknowledged
-- toggles (plus at most the writes whose outcome is unknown). The slots run out after
-- readers x posts x types toggles; then the thread writes comments instead.
--
-- Records per thread: acks (acknowledged writes: "R <post id> <type> <requestId>" for a 200 with
-- active:true, replayed:false; "C <post id> <nonce>" for a 201 whose body echoes the nonce),
-- odd (2xx answers that do not say what they should), unknown (writes sent without an answer:
-- the connection failed or the run ended first), statuses and latencies (ms) per kind.
-- done() writes everything as JSON to args[2]. Globals read by done() are flat tables: wrk 4.1's
-- thread:get copies nested tables wrongly (its copy pops one value too many) and crashes.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "common.lua")

local threads = lib.threads
setup = lib.setup

local config, mine, slots
local reaction_req, comment_req, read_req

function init(args)
  config = dofile(args[1])
  out_path = args[2]
  math.randomseed(config.seed * 1000 + tid)
  nthreads = config.threads
  mine = {}
  for i, token in ipairs(config.readers) do
    if (i - 1) % nthreads == tid then mine[#mine + 1] = token end
  end
  slots = #mine * #config.posts * #config.types
  next_slot, comments_sent = 0, 0
  acks, odd, unknown = {}, {}, {}
  statuses = {} -- "kind status" -> count
  lat_read, lat_reaction, lat_comment = {}, {}, {}
  latency = { read = lat_read, reaction = lat_reaction, comment = lat_comment }
  sent = { read = 0, reaction = 0, comment = 0 }
  slots_exhausted = false
  pending = nil -- what the connection's request in flight was
  inflight = nil
end

local function json_headers(host, token)
  return { Host = host, Authorization = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

-- Slot k <-> (reader k mod R, post (k div R) mod P, type k div (R P)): a bijection for k < R P T.
local function reaction()
  local k = next_slot
  next_slot = next_slot + 1
  local r, p = #mine, #config.posts
  local token = mine[k % r + 1]
  local post = config.posts[math.floor(k / r) % p + 1]
  local kind = config.types[math.floor(k / (r * p)) % #config.types + 1]
  local rid = string.format("%s-t%d-r%d", config.run, tid, k)
  pending = { kind = "reaction", line = string.format("R %s %s %s", post.id, kind, rid), nonce = rid }
  return wrk.format("POST", "/api/posts/" .. post.slug .. "/reactions", json_headers(post.host, token),
    string.format('{"type":"%s","requestId":"%s"}', kind, rid))
end

local function comment()
  comments_sent = comments_sent + 1
  local token = mine[math.random(#mine)]
  local post = config.posts[math.random(#config.posts)]
  local nonce = string.format("%s-t%d-c%d", config.run, tid, comments_sent)
  pending = { kind = "comment", line = string.format("C %s %s", post.id, nonce), nonce = nonce }
  return wrk.format("POST", "/api/posts/" .. post.slug .. "/comments", json_headers(post.host, token),
    string.format('{"body":"bench-load %s: a comment from the load test","requestId":"%s"}', nonce, nonce))
end

local function read()
  local page = config.reads[math.random(#config.reads)]
  pending = { kind = "read" }
  return wrk.format("GET", page.path, { Host = page.host })
end

function request()
  -- A request still pending here was never answered (wrk reconnected): its outcome is unknown.
  if pending and pending.line then unknown[#unknown + 1] = pending.line end
  local x = math.random() * 100
  local req
  if x < config.reaction_pct then
    if next_slot < slots then req = reaction() else slots_exhausted = true; req = comment() end
  elseif x < config.reaction_pct + config.comment_pct then
    req = comment()
  else
    req = read()
  end
  sent[pending.kind] = sent[pending.kind] + 1
  pending.t = lib.now_ms()
  inflight = pending.line
  return req
end

function response(status, headers, body)
  local p = pending
  pending, inflight = nil, nil
  if not p then
    odd[#odd + 1] = "response without a request: " .. status
    return
  end
  local lat = latency[p.kind]
  lat[#lat + 1] = lib.now_ms() - p.t
  local s = p.kind .. " " .. status
  statuses[s] = (statuses[s] or 0) + 1
  if p.kind == "reaction" and status == 200 then
    if body:find('"active":true', 1, true) and body:find('"replayed":false', 1, true) then
      acks[#acks + 1] = p.line
    else
      odd[#odd + 1] = p.line .. " " .. body:sub(1, 200)
    end
  elseif p.kind == "comment" and status == 201 then
    if body:find(p.nonce, 1, true) then
      acks[#acks + 1] = p.line
    else
      odd[#odd + 1] = p.line .. " " .. body:sub(1, 200)
    end
  elseif p.kind ~= "read" and status >= 200 and status < 300 then
    odd[#odd + 1] = p.line .. " " .. status .. " " .. body:sub(1, 200)
  end
end

function done(summary, latency_all, requests)
  local report = lib.summary(summary, latency_all)
  report.threads = {}
  for _, t in ipairs(threads) do
    local u = t:get("unknown")
    local last = t:get("inflight")
    if last then u[#u + 1] = last end -- still waiting when the run ended
    report.threads[#report.threads + 1] = {
      acks = t:get("acks"), odd = t:get("odd"), unknown = u, statuses = t:get("statuses"),
      latency_ms = { read = t:get("lat_read"), reaction = t:get("lat_reaction"), comment = t:get("lat_comment") },
      sent = t:get("sent"), slots = t:get("slots"),
      slots_used = t:get("next_slot"), slots_exhausted = t:get("slots_exhausted"),
    }
  end
  lib.write(threads[1]:get("out_path"), lib.json(report))
end
