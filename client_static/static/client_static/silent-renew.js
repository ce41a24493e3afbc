"use strict";
// silent_redirect_uri: the hidden iframe of a silent renewal (prompt=none) lands
// here and hands the response to the page. With a refresh token oidc-client-ts
// renews without the iframe.
makeUserManager().signinSilentCallback().catch((error) => console.error("silent renew:", error));
