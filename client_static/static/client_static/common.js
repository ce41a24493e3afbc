"use strict";
// Shared by every page of the browser client and by the browsable API's "Log in":
// the server renders the oidc-client-ts settings as JSON (id "oidc-client-config").
window.clientConfig = JSON.parse(document.getElementById("oidc-client-config").textContent);

// Tokens live in sessionStorage (per tab, gone when the tab closes), under a
// prefix per kind of page: "spa." for /client/, "api-auth." for the browsable API.
window.makeUserManager = function makeUserManager(config = window.clientConfig) {
  return new oidc.UserManager({
    ...config.oidc,
    loadUserInfo: true,
    automaticSilentRenew: config.kind === "spa",
    userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage, prefix: config.store_prefix }),
    // The SPA's tokens are DPoP-bound (RFC 9449): oidc-client-ts makes a non-extractable
    // ECDSA P-256 WebCrypto key, keeps it in IndexedDB and signs a proof for every token
    // request; a stolen access token is useless without it.
    ...(config.kind === "spa" ? { dpop: { store: new oidc.IndexedDbDPoPStore() } } : {}),
  });
};

// Only same-origin paths are followed after a sign-in (no open redirect).
window.safePath = function safePath(path, fallback) {
  return typeof path === "string" && /^\/(?![\/\\])/.test(path) ? path : fallback;
};
