// AVAS web page: player + timeline on the left, chat with cited answers on the right.
// Plain ES2020, no build step; talks to the API of the server that serves this page.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  token: localStorage.getItem("avas-token") || "",
  videos: new Map(),      // id -> video JSON
  current: null,          // id of the video in the player
  events: [],             // timeline of the current video
  history: [],            // earlier answers, sent with each question for follow-ups
};

function fmt(ms) {
  const s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function headers(extra = {}) {
  return state.token ? { ...extra, Authorization: `Bearer ${state.token}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (response.status === 401) {
    $("token-box").hidden = false;
    throw new Error("this server needs an API token");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = JSON.stringify((await response.json()).detail); } catch (_) { /* not JSON */ }
    throw new Error(`${response.status}: ${detail}`);
  }
  return response;
}

async function mediaUrl(id) {
  // <video src> cannot send the bearer header: the server hands out a short-lived signed URL
  // (never the token in a URL, where access logs would keep it). Fetched fresh: it expires.
  const video = await (await api(`/videos/${encodeURIComponent(id)}`)).json();
  state.videos.set(id, video);
  return video.media_url;
}

// ---------- videos and the player ----------

async function loadVideos() {
  const videos = await (await api("/videos")).json();
  const picker = $("video-picker");
  picker.querySelectorAll("option[value]:not([value=''])").forEach((o) => o.remove());
  state.videos.clear();
  for (const v of videos) {
    state.videos.set(v.id, v);
    const option = document.createElement("option");
    option.value = v.id;
    option.textContent = `${v.id} (${fmt(v.duration_ms)}${v.status === "complete" ? "" : ", ingesting"})`;
    picker.append(option);
  }
  $("no-video").hidden = videos.length > 0;
  if (videos.length && !state.current) await showVideo(videos[0].id);
  setStatus(`${videos.length} video${videos.length === 1 ? "" : "s"}`);
}

function showVideo(id) {
  // Resolves once the player can seek in the video's media.
  const player = $("player");
  if (state.current === id && player.readyState >= 1) return Promise.resolve();
  state.current = id;
  $("now-title").textContent = id;
  const ready = new Promise((resolve) => {
    player.addEventListener("loadedmetadata", resolve, { once: true });
    player.addEventListener("error", resolve, { once: true });
  });
  mediaUrl(id)
    .then((url) => { player.src = url; player.load(); })
    .catch((e) => setStatus(e.message, true));
  loadTimeline(id).catch((e) => setStatus(e.message, true));
  return ready;
}

async function seekTo(videoId, startMs) {
  await showVideo(videoId);
  const player = $("player");
  player.currentTime = startMs / 1000;
  player.play().catch(() => { /* autoplay may be refused; the seek stands */ });
}

// ---------- timeline ----------

async function loadTimeline(id) {
  const events = await (await api(`/videos/${encodeURIComponent(id)}/events`)).json();
  if (state.current !== id) return;
  state.events = events;
  const names = new Set();
  for (const e of events) for (const n of e.entities) names.add(n.name);
  $("entities").replaceChildren(...[...names].sort().map((n) => new Option(n)));
  renderTimeline();
}

function matches(event, query) {
  if (!query) return true;
  const haystack = [event.description, ...event.speech, ...event.texts,
    ...event.entities.map((e) => e.name)].join(" \n").toLowerCase();
  return query.split(/\s+/).every((word) => haystack.includes(word));
}

function eventLabel(e) {
  return e.texts[0] || e.speech[0] || e.description;
}

function renderTimeline() {
  const video = state.videos.get(state.current);
  const total = Math.max(video ? video.duration_ms : 0,
    ...state.events.map((e) => e.span.end_ms), 1);
  const query = $("filter").value.trim().toLowerCase();
  const strip = $("timeline");
  strip.querySelectorAll(".segment").forEach((s) => s.remove());
  const rows = [];
  let hits = 0;
  for (const e of state.events) {
    const hit = matches(e, query);
    hits += hit ? 1 : 0;
    const seg = document.createElement("button");
    seg.type = "button";
    seg.className = `segment${query ? (hit ? " hit" : " dim") : ""}`;
    seg.style.left = `${(100 * e.span.start_ms) / total}%`;
    seg.style.width = `calc(${(100 * (e.span.end_ms - e.span.start_ms)) / total}% - 2px)`;
    seg.title = `${fmt(e.span.start_ms)}–${fmt(e.span.end_ms)}  ${eventLabel(e)}`;
    seg.addEventListener("click", () => seekTo(e.video_id, e.span.start_ms));
    strip.append(seg);
    if (!hit) continue;
    const li = document.createElement("li");
    li.dataset.start = e.span.start_ms;
    li.dataset.end = e.span.end_ms;
    const time = document.createElement("time");
    time.textContent = `${fmt(e.span.start_ms)}–${fmt(e.span.end_ms)}`;
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = e.speech.length ? `“${e.speech.join(" ")}”` : e.description;
    const tags = document.createElement("span");
    tags.className = "tags";
    tags.textContent = e.texts.join(" · ");
    li.append(time, what, tags);
    li.addEventListener("click", () => seekTo(e.video_id, e.span.start_ms));
    rows.push(li);
  }
  $("event-list").replaceChildren(...rows);
  $("filter-count").textContent = query ? `${hits} of ${state.events.length}` : `${state.events.length} events`;
}

function followPlayhead() {
  const player = $("player");
  const video = state.videos.get(state.current);
  const ms = player.currentTime * 1000;
  $("now-time").textContent = fmt(ms);
  if (video && video.duration_ms) {
    $("playhead").style.left = `${Math.min(100, (100 * ms) / video.duration_ms)}%`;
  }
  for (const li of $("event-list").children) {
    li.classList.toggle("active", ms >= +li.dataset.start && ms < +li.dataset.end);
  }
}

// ---------- chat ----------

function addMessage(cls, text) {
  const li = document.createElement("li");
  li.className = cls;
  const body = document.createElement("div");
  body.className = "text";
  body.textContent = text;
  li.append(body);
  $("messages").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function citationChip(c) {
  const chip = document.createElement("button");
  chip.type = "button";
  chip.className = "chip citation";
  chip.dataset.video = c.video_id;
  chip.dataset.start = c.span.start_ms;
  chip.dataset.end = c.span.end_ms;
  chip.title = `${c.kind}: ${c.text}`;
  chip.textContent = `${fmt(c.span.start_ms)}–${fmt(c.span.end_ms)}`;
  if (state.videos.size > 1 || c.video_id !== state.current) {
    const vid = document.createElement("span");
    vid.className = "vid";
    vid.textContent = c.video_id;
    chip.append(vid);
  }
  chip.addEventListener("click", () => seekTo(c.video_id, c.span.start_ms));
  return chip;
}

// ---------- moment search ----------

async function findMoments(query) {
  const list = $("moments");
  list.replaceChildren();
  if (!query.trim()) { list.hidden = true; return; }
  const params = new URLSearchParams({ q: query, k: "10" });
  if (state.current && $("video-picker").value) params.set("video", state.current);
  let moments = [];
  try {
    moments = await (await api(`/search?${params}`)).json();
  } catch (err) {
    setStatus(String(err.message || err), true);
    return;
  }
  list.hidden = false;
  if (!moments.length) {
    const li = document.createElement("li");
    li.textContent = "No matching moments.";
    list.append(li);
    return;
  }
  for (const m of moments) {
    const li = document.createElement("li");
    li.className = "moment";
    const time = document.createElement("time");
    time.textContent = `${fmt(m.span.start_ms)}–${fmt(m.span.end_ms)}`;
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = m.snippet;
    const tag = document.createElement("span");
    tag.className = "modality";
    tag.textContent = state.videos.size > 1 ? `${m.modality} · ${m.video_id}` : m.modality;
    li.append(time, what, tag);
    li.addEventListener("click", () => seekTo(m.video_id, m.span.start_ms));
    list.append(li);
  }
}

async function* sseEvents(response) {
  // Parses `event:` / `data:` blocks from a streamed fetch body.
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      if (data) yield { event, data: JSON.parse(data) };
    }
  }
}

async function ask(question) {
  addMessage("q", question);
  const bubble = addMessage("a pending", "Thinking");
  const steps = document.createElement("details");
  steps.className = "steps";
  steps.innerHTML = "<summary>steps</summary><ol></ol>";
  bubble.append(steps);
  const body = { question, video_id: $("video-picker").value || null, history: state.history };
  $("ask").disabled = true;
  try {
    const response = await api("/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
    });
    for await (const { event, data } of sseEvents(response)) {
      if (event === "step") {
        const li = document.createElement("li");
        li.textContent = data.text;
        steps.querySelector("ol").append(li);
        bubble.querySelector(".text").textContent = data.text;
      } else if (event === "answer") {
        bubble.classList.remove("pending");
        bubble.querySelector(".text").textContent = data.text;
        steps.querySelector("summary").textContent = `${data.steps.length || steps.querySelectorAll("li").length} steps`;
        const chips = document.createElement("div");
        chips.className = "chips";
        chips.append(...data.citations.map(citationChip));
        bubble.insertBefore(chips, steps);
        bubble.classList.add("answered");
        state.history = [...state.history, data].slice(-10);
      } else if (event === "error") {
        throw new Error(data.detail);
      }
      bubble.scrollIntoView({ block: "end" });
    }
  } catch (e) {
    bubble.classList.remove("pending");
    bubble.classList.add("failed");
    bubble.querySelector(".text").textContent = e.message;
  } finally {
    $("ask").disabled = false;
  }
}

// ---------- monitored streams and their alerts (polled: EventSource cannot send a token) ----------

async function loadMonitor() {
  const [streams, alerts] = await Promise.all([
    api("/streams").then((r) => r.json()),
    api("/alerts?limit=20").then((r) => r.json()),
  ]);
  $("monitor").hidden = streams.length === 0 && alerts.length === 0;
  const up = streams.filter((s) => s.connected && !s.stale).length;
  $("monitor-summary").textContent =
    `${up}/${streams.length} streams connected, ${alerts.length} recent alerts`;
  $("streams").replaceChildren(...streams.map((s) => {
    const li = document.createElement("li");
    const lag = s.lag_s === null ? "–" : `${s.lag_s.toFixed(1)} s`;
    li.textContent = `${s.name}: ${s.stale ? "stale" : s.state}${s.connected ? "" : " (disconnected)"}` +
      ` · lag ${lag} · ${s.events_per_min}/min · ${s.reconnects} reconnects · ${s.gaps.length} gaps` +
      (s.last_error ? ` · ${s.last_error}` : "");
    li.classList.toggle("down", !s.connected || s.stale);
    return li;
  }));
  $("alerts").replaceChildren(...alerts.reverse().map((a) => {
    const li = document.createElement("li");
    li.textContent = `${fmt(a.span.start_ms)}–${fmt(a.span.end_ms)} ${a.stream}: ${a.rule_description}`;
    li.title = new Date(a.created_at).toLocaleString();
    if (state.videos.has(a.video_id) && !state.videos.get(a.video_id).is_live) {
      li.classList.add("seekable");
      li.addEventListener("click", () => seekTo(a.video_id, a.span.start_ms));
    }
    return li;
  }));
}

// ---------- wiring ----------

function init() {
  $("token").value = state.token;
  $("token-save").addEventListener("click", () => {
    state.token = $("token").value.trim();
    localStorage.setItem("avas-token", state.token);
    $("token-box").hidden = true;
    state.current = null;
    loadVideos().catch((e) => setStatus(e.message, true));
  });
  $("video-picker").addEventListener("change", (e) => {
    state.history = [];  // a new scope starts a new conversation
    if (e.target.value) showVideo(e.target.value);
  });
  $("filter").addEventListener("input", renderTimeline);
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    findMoments($("search").value);
  });
  $("player").addEventListener("timeupdate", followPlayhead);
  $("player").addEventListener("seeked", followPlayhead);
  $("ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const question = $("question").value.trim();
    if (!question || $("ask").disabled) return;
    $("question").value = "";
    ask(question);
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
  });
  loadVideos().catch((e) => setStatus(e.message, true));
  const monitor = () => loadMonitor().catch(() => { /* no monitor data: the panel stays hidden */ });
  monitor();
  setInterval(monitor, 5000);
}

document.addEventListener("DOMContentLoaded", init);
