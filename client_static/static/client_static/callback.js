"use strict";
// Redirect URI of the SPA (/client/callback.html) and of the browsable API
// (/api-auth/callback.html): exchange the code (PKCE) and go back.
(async () => {
  const home = clientConfig.kind === "spa" ? "/client/" : "/";
  try {
    const user = await makeUserManager().signinRedirectCallback();
    location.replace(safePath(user.state && user.state.returnTo, home));
  } catch (error) {
    const status = document.getElementById("status");
    status.textContent = `Sign-in failed: ${error.message} `;
    const back = document.createElement("a");
    back.href = home;
    back.textContent = "Back";
    status.append(back);
  }
})();
