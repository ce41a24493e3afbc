// node oidc-provider as an independent issuer of DPoP-bound RFC 9068 access tokens.
// PORT (required) picks the loopback port; the issuer is http://127.0.0.1:PORT. One client,
// "interop" / "interop-secret", may use client credentials for the resource "urn:example:api1",
// whose tokens are RS256 at+jwt with aud "api1" and scope "api1". Everything else is the
// library's defaults: DPoP is on (v9), a proof binds the token (cnf.jkt, token_type DPoP).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
if (!port) throw new Error('PORT is required');
const issuer = `http://127.0.0.1:${port}`;
const resource = 'urn:example:api1';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: 'interop-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'interop',
    client_secret: 'interop-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'api1',
  }],
  jwks: { keys: [signing] },
  scopes: ['api1'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== resource) throw new Error('unknown resource');
        return { scope: 'api1', audience: 'api1', accessTokenTTL: 300, accessTokenFormat: 'jwt',
                 jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
