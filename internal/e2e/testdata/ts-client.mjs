// An MCP client built on the official TypeScript SDK (@modelcontextprotocol/sdk),
// shaped like a real desktop client: it is given only the MCP URL, discovers the
// authorization server from the 401, identifies itself (client ID metadata
// document or dynamic registration), sends "the user" to the authorization URL,
// receives the authorization response on its own loopback callback server,
// redeems the code and calls tools. TestTypeScriptSDKClient (ts_client_test.go)
// runs it under Node 22 and plays the user's browser.
//
//   node ts-client.mjs <mcp-url> [<client-metadata-url>]
//
// With a client metadata URL the provider offers it as clientMetadataUrl, and
// the SDK uses it as the client_id, without registering, when the authorization
// server advertises client_id_metadata_document_supported; otherwise (and
// without the URL) it registers dynamically (RFC 7591). The document itself is
// published by the test, which must list this script's redirect URI in it.
//
// Lines for the test, on stdout (everything else is diagnostics):
//   DRAWBRIDGE_CALLBACK_URL <url>    the redirect URI, as soon as it listens
//   DRAWBRIDGE_AUTHORIZE_URL <url>   open this in the browser
//   DRAWBRIDGE_WAITING {...}         first calls done; one stdin line continues
//   DRAWBRIDGE_RESULT {...}          what happened, for the test to check
//
// Between the two phases the test moves the gateway's clock past the access
// token's lifetime, so the second phase shows the SDK refreshing on a 401.
//
// With TS_CLIENT_CALL set to {"name": ..., "arguments": {...}}, the script
// lists the tools, makes that one call and reports them, without the
// snippets calls and the second phase: for servers of any kind (an OpenAPI
// server, a composed server).
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const serverUrl = new URL(process.argv[2]);
const clientMetadataUrl = process.argv[3];
const timeoutMs = Number(process.env.TS_CLIENT_TIMEOUT_MS || 60000);

// A stuck flow must end with a message, not hang the test until its timeout.
setTimeout(() => {
  console.error(`ts-client: gave up after ${timeoutMs} ms`);
  process.exit(3);
}, timeoutMs).unref();

// The loopback callback server (RFC 8252 §7.3) on a port the system picks: the
// browser's last redirect lands here with code, state and iss.
function startCallbackServer() {
  let deliver;
  const response = new Promise((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Signed in. You can close this window.');
    deliver(u.searchParams);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/callback`, response, close: () => server.close() });
    });
  });
}

// Everything an OAuthClientProvider keeps, in memory: this client lives for one run.
class MemoryProvider {
  constructor(redirectUrl, clientMetadataUrl) {
    this._redirectUrl = redirectUrl;
    // The SDK reads this property; undefined means "no document".
    this.clientMetadataUrl = clientMetadataUrl;
    this._state = undefined;
    this._client = undefined;
    this._tokens = undefined;
    this._verifier = undefined;
    this.tokenHistory = [];
  }
  get redirectUrl() {
    return this._redirectUrl;
  }
  get clientMetadata() {
    return {
      client_name: 'Drawbridge e2e (TypeScript SDK)',
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    this._state = randomBytes(16).toString('base64url');
    return this._state;
  }
  clientInformation() {
    return this._client;
  }
  saveClientInformation(info) {
    this._client = info;
  }
  tokens() {
    return this._tokens;
  }
  saveTokens(tokens) {
    this._tokens = tokens;
    this.tokenHistory.push(tokens);
  }
  redirectToAuthorization(url) {
    // A desktop client would open the browser here; the test is the browser.
    console.log(`DRAWBRIDGE_AUTHORIZE_URL ${url.href}`);
  }
  saveCodeVerifier(v) {
    this._verifier = v;
  }
  codeVerifier() {
    if (!this._verifier) throw new Error('no PKCE verifier saved');
    return this._verifier;
  }
  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'client') this._client = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._verifier = undefined;
  }
}

// Every request the SDK makes goes through this fetch, so the result can say
// whether the client itself ever tried to register.
let registrationRequests = 0;
async function countingFetch(input, init) {
  const u = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method || (input instanceof Request ? input.method : 'GET')).toUpperCase();
  if (method === 'POST' && u.pathname.endsWith('/register')) registrationRequests++;
  return fetch(input, init);
}

function text(result) {
  return (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');
}

async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name} returned a tool error: ${text(r)}`);
  return text(r);
}

async function main() {
  const callback = await startCallbackServer();
  console.log(`DRAWBRIDGE_CALLBACK_URL ${callback.url}`);
  const provider = new MemoryProvider(callback.url, clientMetadataUrl);
  const client = new Client({ name: 'drawbridge-e2e-ts', version: '1.0.0' });

  // The first connection has no token: the SDK discovers, gets a client id
  // (the document URL, or by registering) and redirects, then throws
  // UnauthorizedError, as in the SDK's own examples.
  let needed401 = false;
  try {
    await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: countingFetch }));
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
    needed401 = true;
  }
  if (!needed401) throw new Error('connected without authorization');

  const params = await callback.response;
  callback.close();
  if (params.get('error')) throw new Error(`authorization failed: ${params.get('error')}: ${params.get('error_description')}`);
  if (params.get('state') !== provider._state) throw new Error('state in the authorization response does not match');
  const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider, fetch: countingFetch });
  await transport.finishAuth(params.get('code'));
  await client.connect(transport);

  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  if (process.env.TS_CLIENT_CALL) {
    const { name, arguments: args } = JSON.parse(process.env.TS_CLIENT_CALL);
    const called = await call(client, name, args || {});
    console.log(`DRAWBRIDGE_RESULT ${JSON.stringify({ client_id: provider.clientInformation()?.client_id, tools, called })}`);
    await client.close();
    return;
  }
  const saved = await call(client, 'save_snippet', { snippetname: 'ts-greeting', snippet: 'hello from the TypeScript SDK' });
  const fetched = await call(client, 'get_snippet', { snippetname: 'ts-greeting' });
  const firstAccess = provider.tokens().access_token;

  // Phase two: the test expires the access token; the next request gets 401,
  // and the SDK must refresh (rotating the refresh token) and retry by itself.
  console.log(`DRAWBRIDGE_WAITING ${JSON.stringify({ tokens: provider.tokenHistory.length })}`);
  const rl = createInterface({ input: process.stdin });
  await new Promise((resolve) => rl.once('line', resolve));
  rl.close();
  const afterRefresh = await call(client, 'get_snippet', { snippetname: 'ts-greeting' });
  const [first, second] = provider.tokenHistory;

  console.log(
    `DRAWBRIDGE_RESULT ${JSON.stringify({
      client_id: provider.clientInformation()?.client_id,
      registration_requests: registrationRequests,
      iss: params.get('iss'),
      token_type: first?.token_type,
      scope: first?.scope,
      had_refresh_token: Boolean(first?.refresh_token),
      tools,
      saved,
      fetched,
      after_refresh: afterRefresh,
      token_responses: provider.tokenHistory.length,
      access_token_changed: Boolean(second) && second.access_token !== firstAccess,
      refresh_token_rotated: Boolean(second?.refresh_token) && second.refresh_token !== first.refresh_token,
    })}`,
  );
  await client.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('ts-client failed:', e);
    process.exit(1);
  },
);
