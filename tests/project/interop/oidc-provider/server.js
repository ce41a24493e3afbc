// node oidc-provider as an independent issuer of DPoP-bound and certificate-bound RFC 9068 access tokens.
// PORT (required) picks the loopback port; the issuer is http://127.0.0.1:PORT. Two clients may use
// client credentials for the resource "urn:example:api1", whose tokens are RS256 at+jwt with aud
// "api1" and scope "api1":
// - "interop" / "interop-secret": the library's defaults, DPoP on (v9): a proof binds the token
//   (cnf.jkt, token_type DPoP);
// - "interop-mtls": tls_client_auth (RFC 8705 2.1) with the subject MTLS_CLIENT_DN, and its tokens
//   bound to its certificate (cnf.x5t#S256). The certificate comes from the TLS-terminating proxy
//   in front of the token endpoint (nginx: X-SSL-Client-Cert $ssl_client_escaped_cert, verified
//   against its CA: X-SSL-Client-Verify SUCCESS), believed only from MTLS_PROXY (its address).
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
if (!port) throw new Error('PORT is required');
const issuer = `http://127.0.0.1:${port}`;
const resource = 'urn:example:api1';

const mtlsProxy = process.env.MTLS_PROXY || '';
const mtlsClientDn = process.env.MTLS_CLIENT_DN || 'CN=interop-mtls.client.example';

function fromProxy(ctx) {
  const peer = ctx.req.socket.remoteAddress || '';
  return mtlsProxy !== '' && (peer === mtlsProxy || peer === `::ffff:${mtlsProxy}`);
}

// The PEM the proxy forwarded; undefined without one, or from anyone but the proxy.
function getCertificate(ctx) {
  const header = ctx.get('x-ssl-client-cert');
  if (!fromProxy(ctx) || !header || header.includes(',')) return undefined;
  return decodeURIComponent(header);
}

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
  }, {
    client_id: 'interop-mtls',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'api1',
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: mtlsClientDn,
    tls_client_certificate_bound_access_tokens: true,
  }],
  clientAuthMethods: ['client_secret_basic', 'tls_client_auth'],
  jwks: { keys: [signing] },
  scopes: ['api1'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      getCertificate,
      certificateAuthorized: (ctx) => fromProxy(ctx) && ctx.get('x-ssl-client-verify') === 'SUCCESS',
      certificateSubjectMatches: (ctx, property, expected) => {
        if (property !== 'tls_client_auth_subject_dn') return false;
        const pem = getCertificate(ctx);
        return pem !== undefined && new X509Certificate(pem).subject === expected.replace(/,\s*/g, '\n');
      },
    },
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
