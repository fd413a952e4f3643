// An independent, OpenID-certified OIDC provider (npm `oidc-provider`) on loopback, with the
// device flow and JWT access tokens for audience "strata". Prints `listening on URL` once up.
// Accounts: any login name; `alice` is in the group `strata-admins`; `eve`'s email is not
// verified (`email_verified: false`), everyone else's is.
// Usage: node oidc-provider.mjs [PORT] [ACCESS_TOKEN_TTL_SECONDS]   (port 0 or nothing: any
// free port; the lifetime defaults to an hour)
import { createServer } from "node:net";
import Provider from "oidc-provider";

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const port = Number(process.argv[2]) || (await freePort());
const issuer = `http://127.0.0.1:${port}`;
const accessTokenTtl = Number(process.argv[3]) || 3600;
const groups = { alice: ["strata-admins"] };
const provider = new Provider(issuer, {
  clients: [{
    client_id: "stratactl",
    token_endpoint_auth_method: "none",
    grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
    response_types: [],
    redirect_uris: [],
  }],
  features: {
    deviceFlow: { enabled: true },
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => "urn:strata:management",
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "openid email",
        audience: "strata",
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  claims: { email: ["email", "email_verified"], groups: ["groups"] },
  ttl: { AccessToken: accessTokenTtl },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@example.com`, email_verified: id !== "eve", groups: groups[id] ?? [] }) }),
  extraTokenClaims: (ctx, token) => ({ email: `${token.accountId}@example.com`, email_verified: token.accountId !== "eve", groups: groups[token.accountId] ?? [] }),
});
provider.on("server_error", (ctx, error) => console.error("oidc-provider error:", error));
provider.listen(port, "127.0.0.1", () => console.log(`listening on ${issuer}`));
