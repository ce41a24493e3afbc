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
async function authHeaders(url, user, nonce) {
  if (!user) return {};
  if ((user.token_type || "").toLowerCase() !== "dpop") return { Authorization: `Bearer ${user.access_token}` };
  const proof = await mgr.dpopProof(url, user, "GET", nonce);
  return { Authorization: `DPoP ${user.access_token}`, DPoP: proof };
}

// The auth-params of the challenge that carries an error (RFC 9110 11.6.1: quoted values may hold commas).
function challengeError(header) {
  const params = {};
  for (const [, name, value] of (header || "").matchAll(/([A-Za-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    if (name === "error" && params.error) break; // only the first challenge with an error
    params[name] = value;
  }
  return params;
}

// RFC 9470: the API wants a stronger or more recent sign-in. Sign in again with what it asked for
// (acr_values, max_age: the idp asks for the second factor or the password), then call it again.
async function stepUp(url, challenge) {
  const args = {};
  if (challenge.acr_values) args.acr_values = challenge.acr_values;
  if (/^\d+$/.test(challenge.max_age || "")) args.max_age = Number(challenge.max_age);
  log(`The API asks for a stronger sign-in (${JSON.stringify(args)}); signing in again`);
  sessionStorage.setItem(STEP_UP_PENDING, url);
  await mgr.signinRedirect({ ...args, state: { returnTo: "/client/" } });
}

const STEP_UP_PENDING = "client.step-up-pending";

async function callApi(url = clientConfig.api_url) {
  const user = await mgr.getUser();
  let response;
  try {
    response = await fetch(url, { headers: await authHeaders(url, user) });
    const nonce = response.headers.get("DPoP-Nonce");
    if (response.status === 401 && nonce && /use_dpop_nonce/.test(response.headers.get("WWW-Authenticate") || "")) {
      response = await fetch(url, { headers: await authHeaders(url, user, nonce) });
    }
  } catch (error) {
    show("Call API: network or CORS error", String(error), "error");
    return;
  }
  const title = `GET ${url} → ${response.status} ${response.statusText}`;
  const body = await response.text();
  if (response.ok) {
    show(title, JSON.stringify(JSON.parse(body), null, 2), "ok");
    return;
  }
  // WWW-Authenticate is readable here because the API lists it in CORS_EXPOSE_HEADERS.
  const header = response.headers.get("WWW-Authenticate");
  show(title, `${response.status} ${response.statusText}\nWWW-Authenticate: ${header}\n\n${body}`, "error");
  const challenge = challengeError(header);
  // Follow a step-up challenge once: a pending one that failed again is shown, not looped on.
  if (user && challenge.error === "insufficient_user_authentication" && !sessionStorage.getItem(STEP_UP_PENDING)) {
    await stepUp(url, challenge);
  }
}

$("login").addEventListener("click", () => mgr.signinRedirect());
$("logout").addEventListener("click", () => mgr.signoutRedirect());
$("call-api").addEventListener("click", () => callApi());
$("call-step-up").addEventListener("click", () => callApi(clientConfig.step_up_url));
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

refreshStatus().then(async (user) => {
  if (user) log(`Signed in; access token valid until ${clock(user.expires_at)}`);
  // Back from a step-up sign-in: call the endpoint that asked for it again.
  const pending = sessionStorage.getItem(STEP_UP_PENDING);
  if (user && pending) {
    await callApi(pending);
    sessionStorage.removeItem(STEP_UP_PENDING);
  } else if (pending) {
    sessionStorage.removeItem(STEP_UP_PENDING);
  }
});
