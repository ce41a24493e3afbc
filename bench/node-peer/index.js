// The seed sample's Node API ("Secure a Node (Express) API with IdentityServer4
// using JWKS and RS256"), kept as close to its index.js as the current
// express-jwt / jwks-rsa majors allow, so bench/run.py can load it like the
// Django API. Configuration comes from the environment:
//   PORT (5002), ISSUER (http://localhost:5000), AUDIENCE (api1),
//   JWKS_URI (${ISSUER}/.well-known/openid-configuration/jwks)
'use strict';

const express = require('express');
const cors = require('cors');
const { expressjwt: jwt } = require('express-jwt');
const jwksClient = require('jwks-rsa');

const port = Number(process.env.PORT || 5002);
const issuer = process.env.ISSUER || 'http://localhost:5000';
const audience = process.env.AUDIENCE || 'api1';
const jwksUri = process.env.JWKS_URI || `${issuer}/.well-known/openid-configuration/jwks`;

const app = express();
app.use(cors());

// Same options as the seed: cached keys, rate-limited JWKS fetches.
const auth = jwt({
  secret: jwksClient.expressJwtSecret({
    cache: true,
    rateLimit: true,
    jwksRequestsPerMinute: 2,
    jwksUri,
  }),
  audience,
  issuer,
  algorithms: ['RS256'],
});

app.get('/', (req, res) => {
  res.send('Hello');
});

app.get('/me', auth, (req, res) => {
  res.json(req.auth);
});

// Invalid tokens answer 401 like the product, not express's HTML 500 page.
app.use((err, req, res, next) => {
  if (err && err.name === 'UnauthorizedError') {
    res.status(401).json({ error: err.code || 'invalid_token', message: err.message });
    return;
  }
  next(err);
});

const server = app.listen(port, '127.0.0.1', () => {
  console.log(`node peer listening on http://127.0.0.1:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
