// Playwright global setup: one `graft serve` for the whole run. Its URL reaches the tests as
// process.env.GRAFT_URL (the worker processes inherit this environment) and becomes their
// baseURL (fixtures.js); the returned function is the global teardown.

import { startServer } from './server.js';

export default async function globalSetup() {
  const server = await startServer();
  process.env.GRAFT_URL = server.url;
  if (server.dataDir) process.env.GRAFT_DATA_DIR = server.dataDir;
  console.log(`e2e: graft serve on ${server.url}${server.dataDir ? ` (data ${server.dataDir})` : ''}`);
  return async () => {
    await server.stop();
  };
}
