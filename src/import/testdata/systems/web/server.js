// A web server a compose file builds from this folder: answers "ok" on $PORT.
import { createServer } from 'node:http';

createServer((_req, res) => res.end('ok')).listen(process.env.PORT);
