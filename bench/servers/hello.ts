// The cold-start floor: the smallest server started the way `npm start` starts promptmeter
// (npm → tsx → node), answering the probe at once. What promptmeter adds is its own start-up.
import { createServer } from 'node:http';

createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"data":{"templates":{"totalCount":0}}}');
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
