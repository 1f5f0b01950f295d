// SPDX-License-Identifier: BSL-1.0
#pragma once
// The demo's one page: plain HTML, CSS and JavaScript served from the binary, no build step, no
// third-party script. The access token lives in a variable of this page only (never localStorage);
// the session id and the refresh token live in HttpOnly cookies that no script can read.

#include <string>
#include <string_view>

namespace demo {

inline constexpr std::string_view page_text = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tessera demo</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.4rem; } code, pre { font: 13px ui-monospace, monospace; }
  pre { background: #f4f4f4; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
  button { margin: .2rem .3rem .2rem 0; } input { margin-right: .4rem; }
  .who { font-weight: 600; } .err { color: #a00; } li { margin: .2rem 0; }
</style>
</head>
<body>
<h1>tessera demo — the <span id="scheme"></span> scheme</h1>
<form id="login">
  <input id="username" autocomplete="username" placeholder="username" value="demo">
  <input id="password" type="password" autocomplete="current-password" placeholder="password">
  <button>Log in</button>
</form>
<p>Signed in as: <span class="who" id="who">nobody</span> <span class="err" id="error"></span></p>
<p>
  <button id="me">Who am I?</button>
  <button id="refresh">Refresh</button>
  <button id="logout">Log out</button>
  <button id="logout-all">Log out everywhere</button>
  <button id="devices">My devices</button>
</p>
<p id="expiry"></p>
<pre id="token"></pre>
<ul id="sessions"></ul>
<script>
"use strict";
const scheme = "%SCHEME%";
let access = null, exp = 0, csrf = null, timer = null;
const $ = (id) => document.getElementById(id);
$("scheme").textContent = scheme;

async function call(method, path, body) {
  const headers = {};
  if (access) headers["Authorization"] = "Bearer " + access;
  if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined,
                                credentials: "same-origin" });
  let json = {};
  try { json = await r.json(); } catch (e) {}
  $("error").textContent = r.ok ? "" : r.status + " " + (json.error || "");
  return { status: r.status, body: json };
}

function decode(part) {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.stringify(JSON.parse(atob(b64 + "===".slice((b64.length + 3) % 4))), null, 2);
}

function took(body) {
  if (body.csrf) csrf = body.csrf;
  if (body.access_token) {
    access = body.access_token;
    exp = body.exp;
    const [h, p] = access.split(".");
    $("token").textContent = decode(h) + "\n" + decode(p);
  }
  if (body.sub) $("who").textContent = body.sub;
  schedule();
}

function schedule() {
  clearTimeout(timer);
  if (!access) { $("expiry").textContent = ""; return; }
  const left = exp - Math.floor(Date.now() / 1000);
  $("expiry").textContent = "access token expires in " + Math.max(left, 0) + " s";
  // The hybrid scheme refreshes silently a second before the access token ends.
  if (scheme === "hybrid" && left <= 1) { refresh(); return; }
  timer = setTimeout(schedule, 1000);
}

function forget() {
  access = null; csrf = null; exp = 0;
  $("who").textContent = "nobody"; $("token").textContent = ""; $("sessions").textContent = "";
  schedule();
}

async function refresh() {
  const r = await call("POST", "/refresh");
  if (r.status === 200) took(r.body); else if (r.status === 401) forget();
  return r;
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await call("POST", "/login", { username: $("username").value, password: $("password").value });
  if (r.status === 200) { took(r.body); $("password").value = ""; }
});
$("me").addEventListener("click", async () => {
  const r = await call("GET", "/api/me");
  if (r.status === 200) took(r.body); else if (r.status === 401) forget();
});
$("refresh").addEventListener("click", refresh);
$("logout").addEventListener("click", async () => { if ((await call("POST", "/logout")).status === 200) forget(); });
$("logout-all").addEventListener("click", async () => {
  if ((await call("POST", "/logout-all")).status === 200) forget();
});
$("devices").addEventListener("click", async () => {
  const r = await call("GET", "/api/sessions");
  const list = $("sessions");
  list.textContent = "";
  for (const s of (r.body.sessions || [])) {
    const li = document.createElement("li");
    li.textContent = (s.current ? "this device: " : "") + (s.user_agent || "?") + " since " +
                     new Date(s.created_at * 1000).toLocaleString() + " ";
    if (!s.current) {
      const end = document.createElement("button");
      end.textContent = "Log it out";
      end.addEventListener("click", async () => {
        await call("DELETE", "/api/sessions/" + encodeURIComponent(s.id));
        $("devices").click();
      });
      li.appendChild(end);
    }
    list.appendChild(li);
  }
});

// After a reload: the hybrid scheme is still logged in through its refresh cookie, the session scheme
// through its session cookie; the JWT scheme kept its token in this page only, so it is not.
if (scheme === "hybrid") refresh();
if (scheme === "session") call("GET", "/api/csrf").then((r) => { if (r.status === 200) took(r.body); });
</script>
</body>
</html>
)html";

/// The page for `scheme`.
inline std::string page(std::string_view scheme)
{
    std::string out{page_text};
    constexpr std::string_view mark = "%SCHEME%";
    out.replace(out.find(mark), mark.size(), scheme);
    return out;
}

} // namespace demo
