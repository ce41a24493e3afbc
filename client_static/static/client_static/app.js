"use strict";
// The SPA at /client/: log in and out at the identity server, show the profile,
// call the API's /me with the access token, renew the token before it expires.
const mgr = makeUserManager();
const $ = (id) => document.getElementById(id);

function log(message) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${message}`;
  $("log").prepend(item);
}

const clock = (seconds) => new Date(seconds * 1000).toLocaleTimeString();

function show(title, text, state) {
  $("result-title").textContent = title;
  $("result").textContent = text;
  $("result").dataset.state = state;
}

async function refreshStatus() {
  const user = await mgr.getUser();
  const signedIn = Boolean(user && !user.expired);
  $("status").textContent = signedIn
    ? `Signed in as ${user.profile.name || user.profile.sub} (sub ${user.profile.sub}); access token valid until ${clock(user.expires_at)}`
    : "Not signed in";
  $("status").dataset.signedIn = signedIn;
  $("login").disabled = signedIn;
  for (const id of ["profile", "renew", "logout"]) $(id).disabled = !signedIn;
  return user;
}

// A DPoP-bound token goes with a fresh proof for this one request (method, URL, token hash);
// a nonce the API asks for (401 use_dpop_nonce, DPoP-Nonce header) is put in a second proof.
async function authHeaders(user, nonce) {
  if (!user) return {};
  if ((user.token_type || "").toLowerCase() !== "dpop") return { Authorization: `Bearer ${user.access_token}` };
  const proof = await mgr.dpopProof(clientConfig.api_url, user, "GET", nonce);
  return { Authorization: `DPoP ${user.access_token}`, DPoP: proof };
}

async function callApi() {
  const user = await mgr.getUser();
  let response;
  try {
    response = await fetch(clientConfig.api_url, { headers: await authHeaders(user) });
    const nonce = response.headers.get("DPoP-Nonce");
    if (response.status === 401 && nonce && /use_dpop_nonce/.test(response.headers.get("WWW-Authenticate") || "")) {
      response = await fetch(clientConfig.api_url, { headers: await authHeaders(user, nonce) });
    }
  } catch (error) {
    show("Call API: network or CORS error", String(error), "error");
    return;
  }
  const title = `GET ${clientConfig.api_url} → ${response.status} ${response.statusText}`;
  const body = await response.text();
  if (response.ok) {
    show(title, JSON.stringify(JSON.parse(body), null, 2), "ok");
  } else {
    // WWW-Authenticate is readable here because the API lists it in CORS_EXPOSE_HEADERS.
    const challenge = response.headers.get("WWW-Authenticate");
    show(title, `${response.status} ${response.statusText}\nWWW-Authenticate: ${challenge}\n\n${body}`, "error");
  }
}

$("login").addEventListener("click", () => mgr.signinRedirect());
$("logout").addEventListener("click", () => mgr.signoutRedirect());
$("call-api").addEventListener("click", callApi);
$("profile").addEventListener("click", async () => {
  const user = await mgr.getUser();
  show("Profile (ID token and userinfo claims)", JSON.stringify(user ? user.profile : null, null, 2), "ok");
});
$("renew").addEventListener("click", () =>
  mgr.signinSilent().catch((error) => log(`Renewal failed: ${error.message}`)));

// automaticSilentRenew: a minute before the access token expires, oidc-client-ts
// renews it (refresh token grant, or prompt=none in a hidden iframe) and then
// raises userLoaded.
mgr.events.addUserLoaded((user) => {
  log(`Token renewed silently; the new access token is valid until ${clock(user.expires_at)}`);
  refreshStatus();
});
mgr.events.addAccessTokenExpired(() => { log("Access token expired"); refreshStatus(); });
mgr.events.addSilentRenewError((error) => log(`Silent renewal failed: ${error.message}`));

refreshStatus().then((user) => { if (user) log(`Signed in; access token valid until ${clock(user.expires_at)}`); });
