"use strict";
// The browsable API's "Log in": sign in at the identity server (code + PKCE),
// keep the access token in sessionStorage, and show this page's response as
// fetched with `Authorization: Bearer <token>` in place of the anonymous one.
(async () => {
  const mgr = makeUserManager();
  const status = document.getElementById("api-auth-status");
  const login = document.getElementById("api-auth-login");
  const logoutItem = document.getElementById("api-auth-logout-item");
  const here = location.pathname + location.search;

  login.addEventListener("click", (event) => {
    event.preventDefault();
    mgr.signinRedirect({ state: { returnTo: here } });
  });
  document.getElementById("api-auth-logout").addEventListener("click", (event) => {
    event.preventDefault();
    mgr.signoutRedirect();
  });

  const user = await mgr.getUser();
  if (!user) return;
  if (user.expired) {
    await mgr.removeUser();
    status.textContent = "Session expired: log in again";
    return;
  }
  status.textContent = `Signed in as ${user.profile.name || user.profile.sub}`;
  login.parentElement.hidden = true;
  logoutItem.hidden = false;

  // The same URL as JSON (?format=api would override the Accept header).
  // Only this GET is replayed; forms keep working as in plain DRF.
  const url = new URL(location.href);
  url.searchParams.delete("format");
  try {
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${user.access_token}`, Accept: "application/json" },
    });
    renderResponse(response, await response.text());
  } catch (error) {
    status.textContent = `Signed in, but the request failed: ${error.message}`;
  }
})();

// Fill DRF's response box the way DRF renders it: status line, headers, body.
function renderResponse(response, text) {
  const box = document.querySelector(".response-info pre");
  if (!box) return;
  let body = text;
  try {
    body = JSON.stringify(JSON.parse(text), null, 4);
  } catch (error) { /* not JSON: show as is */ }
  const meta = document.createElement("span");
  meta.className = "meta nocode";
  const line = (label, value) => {
    const b = document.createElement("b");
    b.textContent = label;
    meta.append(b);
    if (value !== undefined) {
      const v = document.createElement("span");
      v.className = "lit";
      v.textContent = value;
      meta.append(" ", v);
    }
  };
  line(`HTTP ${response.status} ${response.statusText}`);
  for (const name of ["Allow", "Content-Type", "Vary", "WWW-Authenticate", "Retry-After"]) {
    const value = response.headers.get(name);
    if (value !== null) { meta.append("\n"); line(`${name}:`, value); }
  }
  meta.append("\n\n");
  box.replaceChildren(meta, body);
  box.classList.remove("prettyprinted");
  if (window.prettyPrint) window.prettyPrint();
  const note = document.createElement("p");
  note.className = "text-muted";
  note.id = "api-auth-note";
  note.textContent = "Response fetched with your access token (Authorization: Bearer …).";
  box.parentElement.before(note);
  box.parentElement.dataset.authenticated = String(response.ok);
}
